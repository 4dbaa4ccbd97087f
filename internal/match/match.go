// Package match ranks FAQ entries for a question typed in Kyrgyz or Russian,
// in Cyrillic or Latin letters, with typos, word forms and filler.
//
// Every question and alternate phrasing of the catalogue is a document of
// words, and so is every answer's text, as weaker evidence. A word of the
// question finds the vocabulary words it may stand for through match keys,
// each with a similarity: the same word (1), the same Russian Snowball or
// Kyrgyz suffix-stripped stem (0.9), the same first five letters (0.75), the
// same consonants (a vowel typo) or one letter apart (0.7), the same first
// four letters (0.55). Words weigh by IDF; a word the FAQ does not know
// weighs most, so that questions about something else explain little of
// themselves. An entry scores by how much of the question its best phrasing
// explains (and how much of that phrasing the question explains), how much
// all its phrasings explain together, and a little by its answer's text.
// Latin words are read as Cyrillic, trying the readings of ambiguous letters
// and keeping the one the vocabulary knows best.
//
// Why no character n-gram vectors, which the design notes suggest: the
// prefix, skeleton and one-letter keys catch the same typos and word forms
// per word, cost one map lookup each, and keep every match explainable.
package match

import (
	"math"
	"sort"
	"strings"
	"sync"
	"unicode/utf8"

	"migrantbot/internal/bot"
)

// Confidence bands and scoring weights, calibrated on testdata/eval.tsv.
// This is the one place they are set.
const (
	answerScore  = 0.55 // at or above: answer
	answerMargin = 0.05 // ...and ahead of the next entry by this much
	suggestScore = 0.40 // at or above: "did you mean"

	questionShare = 0.8 // of a phrasing's score: how much of the question it explains
	unionShare    = 0.5 // of an entry's score: how much of the question all its phrasings explain together
	answerWeight  = 0.1 // added: how much of the question the answer's text explains
	secondWeight  = 0.2 // added: how well the entry's second-best phrasing fits, as corroboration
)

// Similarity of a question word to a vocabulary word, by the key they share.
const (
	simWord     = 1.0
	simStem     = 0.9
	simPrefix   = 0.75
	simSkeleton = 0.7
	simTypo     = 0.7
	simShort    = 0.55 // the first four letters: a Kyrgyz ending on a vowel stem (акча-м-ды)
)

// Key kinds, so that a stem never meets a skeleton that happens to be spelled alike.
const (
	keyWord     = "w"
	keyRuStem   = "r"
	keyKyStem   = "k"
	keyPrefix   = "p"
	keyShort    = "q"
	keySkeleton = "s"
	keyDeletion = "d"
)

var keySimilarity = map[string]float64{
	keyWord: simWord, keyRuStem: simStem, keyKyStem: simStem,
	keyPrefix: simPrefix, keyShort: simShort, keySkeleton: simSkeleton, keyDeletion: simTypo,
}

// maxQueryWords bounds the work one question can cause.
const maxQueryWords = 40

type word struct {
	text   string
	idf    float64
	byLang map[string]int // language -> documents that use the word
	docs   []int32
}

type document struct {
	entry  int32
	answer bool // the answer's text: weaker evidence than a phrasing
	words  []int32
}

// Index is a matcher over one catalogue; it is read-only once built and
// safe for concurrent use.
type Index struct {
	entries []string
	words   []word
	wordID  map[string]int32
	keys    map[string][]int32 // kind+key -> vocabulary words
	docs    []document         // while building
	maxIDF  float64
	scratch sync.Pool // of *scratch

	// What matching reads of each document, in compact arrays: the
	// inner loops touch them for every posting.
	docEntry  []int32
	docAnswer []bool
	docWeight []float64
}

// New indexes every question and alternate phrasing of the catalogue.
func New(c *bot.Catalog) *Index {
	ix := &Index{wordID: map[string]int32{}, keys: map[string][]int32{}}
	for _, e := range c.Entries() {
		entry := int32(len(ix.entries))
		ix.entries = append(ix.entries, e.ID)
		for _, lang := range bot.Languages {
			t := e.Text[lang]
			for _, p := range append([]string{t.Question}, t.Also...) {
				ix.addDocument(entry, lang, p, false)
			}
			ix.addDocument(entry, lang, answerText(t.Answer), true)
		}
	}
	n := float64(len(ix.docs))
	ix.maxIDF = math.Log(1 + (n+1)/0.5)
	for i := range ix.words {
		ix.words[i].idf = math.Log(1 + (n+1)/(float64(len(ix.words[i].docs))+0.5))
	}
	for _, d := range ix.docs {
		var weight float64
		for _, w := range d.words {
			weight += ix.words[w].idf
		}
		ix.docEntry = append(ix.docEntry, d.entry)
		ix.docAnswer = append(ix.docAnswer, d.answer)
		ix.docWeight = append(ix.docWeight, weight)
	}
	ix.docs = nil // the word lists were needed only for the weights
	docs, entries := len(ix.docEntry), len(ix.entries)
	ix.scratch.New = func() any { return newScratch(docs, entries) }
	return ix
}

func (ix *Index) addDocument(entry int32, lang, text string, answer bool) {
	id := int32(len(ix.docs))
	d := document{entry: entry, answer: answer}
	seen := map[int32]bool{}
	for _, w := range content(ix.read(words(text), nil)) {
		wid := ix.vocabulary(w)
		if seen[wid] {
			continue
		}
		seen[wid] = true
		d.words = append(d.words, wid)
		ix.words[wid].docs = append(ix.words[wid].docs, id)
		ix.words[wid].byLang[lang]++
	}
	ix.docs = append(ix.docs, d)
}

// vocabulary returns the id of a word, adding it and its keys when new.
func (ix *Index) vocabulary(w string) int32 {
	if id, ok := ix.wordID[w]; ok {
		return id
	}
	id := int32(len(ix.words))
	ix.words = append(ix.words, word{text: w, byLang: map[string]int{}})
	ix.wordID[w] = id
	for _, k := range matchKeys(w, true) {
		ix.keys[k] = append(ix.keys[k], id)
	}
	return id
}

// matchKeys are the keys under which a word is found. A vocabulary word is
// indexed under its deletions; a question word looks itself and its
// deletions up, so that one letter wrong, missing or extra still matches.
func matchKeys(w string, indexing bool) []string {
	keys := []string{keyWord + w}
	n := utf8.RuneCountInString(w)
	if n < 3 {
		return keys
	}
	keys = append(keys, keyRuStem+russianStem(w), keyKyStem+kyrgyzStem(w))
	if n >= 5 {
		keys = append(keys, keyPrefix+prefix(w, 5))
	}
	if n >= 4 {
		keys = append(keys, keyShort+prefix(w, 4))
	}
	if sk := skeleton(russianStem(w)); utf8.RuneCountInString(sk) >= 4 { // fewer consonants match too much
		keys = append(keys, keySkeleton+sk)
	}
	if n >= 5 {
		if indexing {
			keys = append(keys, keyDeletion+w)
		}
		for _, d := range deletions(w) {
			keys = append(keys, keyDeletion+d)
		}
	}
	return keys
}

// candidate is a vocabulary word a question word may stand for.
type candidate struct {
	word int32
	sim  float64
}

// candidates finds the vocabulary words a folded question word may stand for,
// each with its best similarity.
func (ix *Index) candidates(w string) []candidate {
	best := map[int32]float64{}
	for _, k := range matchKeys(w, false) {
		sim := keySimilarity[k[:1]]
		for _, id := range ix.keys[k] {
			if sim > best[id] {
				best[id] = sim
			}
		}
	}
	out := make([]candidate, 0, len(best))
	for id, sim := range best {
		out = append(out, candidate{id, sim})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].sim != out[j].sim {
			return out[i].sim > out[j].sim
		}
		return out[i].word < out[j].word
	})
	return out
}

// read reads folded words; a Latin word is read as the Cyrillic word the
// vocabulary knows best (or, while indexing, as its first reading).
func (ix *Index) read(folded []string, cands map[string][]candidate) []string {
	var out []string
	for _, w := range folded {
		if isLatin(w) {
			w = ix.bestReading(w, cands)
		}
		out = append(out, w)
	}
	return out
}

// known drops numbers the vocabulary has never seen: a phone number or a
// price says nothing about which entry fits, while "90" in "90 дней" does.
func (ix *Index) known(query []string) []string {
	out := query[:0]
	for _, w := range query {
		if isNumber(w) && len(ix.keys[keyWord+w]) == 0 {
			continue
		}
		out = append(out, w)
	}
	return out
}

func isNumber(w string) bool {
	return strings.Trim(w, "0123456789") == ""
}

// content drops the filler from words.
func content(words []string) []string {
	var out []string
	for _, w := range words {
		if !russianStopWords[w] && !kyrgyzStopWords[w] {
			out = append(out, w)
		}
	}
	return out
}

func (ix *Index) bestReading(latin string, cands map[string][]candidate) string {
	options := readings(latin)
	if cands == nil {
		return options[0]
	}
	best, bestSim := options[0], -1.0
	for _, r := range options {
		c := ix.candidates(r)
		cands[r] = c
		if len(c) > 0 && c[0].sim > bestSim {
			best, bestSim = r, c[0].sim
		}
	}
	return best
}

// Match ranks the entries for a question; lang, the language the user
// chose, decides when the question's own language is unclear.
func (ix *Index) Match(question, lang string) bot.Match {
	cands := map[string][]candidate{}
	folded := words(question)
	if len(folded) > maxQueryWords {
		folded = folded[:maxQueryWords]
	}
	all := ix.read(folded, cands)
	query := ix.known(unique(content(all)))
	m := bot.Match{Lang: lang}
	if len(query) == 0 {
		m.Lang = ix.detect(question, all, nil, nil, lang)
		return m
	}

	s := ix.scratch.Get().(*scratch)
	defer ix.scratch.Put(s)
	q := s.next() // this question's stamp
	s.scoredDocs, s.scoredEntries = s.scoredDocs[:0], s.scoredEntries[:0]
	var total float64
	perWord := make([][]candidate, len(query))
	anchored := false // some word matches at least as closely as a typo
	for i, w := range query {
		c, ok := cands[w]
		if !ok {
			c = ix.candidates(w)
		}
		perWord[i] = c
		anchored = anchored || len(c) > 0 && c[0].sim >= simTypo
		// A word the vocabulary does not know weighs most, so that a question
		// about something else explains little of itself in any phrasing; a
		// word matched only loosely keeps part of that weight.
		weight := ix.maxIDF
		if len(c) > 0 {
			weight = c[0].sim*ix.words[c[0].word].idf + (1-c[0].sim)*ix.maxIDF
		}
		total += weight

		// The best match of this word in each document...
		ws := s.next()
		s.touchedDocs = s.touchedDocs[:0]
		for _, cand := range c {
			idf, sim := float32(ix.words[cand.word].idf), float32(cand.sim)
			for _, d := range ix.words[cand.word].docs {
				if s.docStamp[d] != ws {
					s.docStamp[d], s.docSim[d] = ws, 0
					s.touchedDocs = append(s.touchedDocs, d)
				}
				if sim > s.docSim[d] {
					s.docSim[d], s.docIDF[d] = sim, idf
				}
			}
		}
		// ...adds to each phrasing's score, and its best in each entry's
		// phrasings and answer to the entry's.
		s.touchedEntries = s.touchedEntries[:0]
		for _, d := range s.touchedDocs {
			e, sim := ix.docEntry[d], float64(s.docSim[d])
			if s.wordStamp[e] != ws {
				s.wordStamp[e], s.phrasingSim[e], s.answerSim[e] = ws, 0, 0
				s.touchedEntries = append(s.touchedEntries, e)
			}
			if ix.docAnswer[d] {
				s.answerSim[e] = math.Max(s.answerSim[e], sim)
				continue
			}
			s.phrasingSim[e] = math.Max(s.phrasingSim[e], sim)
			if s.scoreStamp[d] != q {
				s.scoreStamp[d], s.question[d], s.own[d] = q, 0, 0
				s.scoredDocs = append(s.scoredDocs, d)
			}
			s.question[d] += float32(weight * sim)
			s.own[d] += s.docIDF[d] * float32(sim)
		}
		for _, e := range s.touchedEntries {
			if s.queryStamp[e] != q {
				s.queryStamp[e], s.union[e], s.answer[e], s.best[e], s.second[e] = q, 0, 0, 0, 0
				s.scoredEntries = append(s.scoredEntries, e)
			}
			s.union[e] += weight * s.phrasingSim[e]
			s.answer[e] += weight * s.answerSim[e]
		}
	}
	m.Lang = ix.detect(question, all, query, perWord, lang)

	for _, d := range s.scoredDocs {
		v := questionShare*float64(s.question[d])/total + (1-questionShare)*math.Min(1, float64(s.own[d])/ix.docWeight[d])
		switch e := ix.docEntry[d]; {
		case v > s.best[e]:
			s.best[e], s.second[e] = v, s.best[e]
		case v > s.second[e]:
			s.second[e] = v
		}
	}
	for _, e := range s.scoredEntries {
		if s.best[e] == 0 {
			continue // only its answer's text matched: not enough
		}
		// Divided by the most it can be, so that scores stay between 0 and 1
		// without clipping: clipped scores would tie.
		v := ((1-unionShare)*s.best[e] + unionShare*s.union[e]/total + answerWeight*s.answer[e]/total + secondWeight*s.second[e]) / (1 + answerWeight + secondWeight)
		m.Hits = keepBest(m.Hits, bot.Hit{ID: ix.entries[e], Score: math.Round(v*1000) / 1000})
	}
	m.Band = band(m.Hits)
	if !anchored {
		// Only loose matches (погода ~ поговорить): the FAQ does not know
		// what the question is about, whatever the score.
		m.Band = bot.BandNone
	}
	return m
}

// maxHits is how many ranked entries a match returns: more than any reply shows.
const maxHits = 10

// keepBest inserts h into hits, kept sorted best first (ties by id) and at
// most maxHits long.
func keepBest(hits []bot.Hit, h bot.Hit) []bot.Hit {
	i := sort.Search(len(hits), func(i int) bool {
		return hits[i].Score < h.Score || hits[i].Score == h.Score && hits[i].ID > h.ID
	})
	if i == maxHits {
		return hits
	}
	if len(hits) < maxHits {
		hits = append(hits, bot.Hit{})
	}
	copy(hits[i+1:], hits[i:])
	hits[i] = h
	return hits
}

// scratch is the working memory of one Match, reused across calls so that a
// question costs no allocation per document. Entries are valid only where
// their stamp is the current question's or word's: nothing needs clearing.
type scratch struct {
	stamp uint32

	docStamp, scoreStamp []uint32  // per document
	docSim, docIDF       []float32 // float32: half the memory the inner loop walks
	question, own        []float32

	wordStamp, queryStamp  []uint32 // per entry
	phrasingSim, answerSim []float64
	union, answer, best    []float64
	second                 []float64

	touchedDocs, scoredDocs, touchedEntries, scoredEntries []int32
}

func newScratch(docs, entries int) *scratch {
	return &scratch{
		docStamp: make([]uint32, docs), scoreStamp: make([]uint32, docs),
		docSim: make([]float32, docs), docIDF: make([]float32, docs),
		question: make([]float32, docs), own: make([]float32, docs),
		wordStamp: make([]uint32, entries), queryStamp: make([]uint32, entries),
		phrasingSim: make([]float64, entries), answerSim: make([]float64, entries),
		union: make([]float64, entries), answer: make([]float64, entries), best: make([]float64, entries),
		second: make([]float64, entries),
	}
}

// next returns a new stamp; on the rare wrap-around every stamp is cleared.
func (s *scratch) next() uint32 {
	s.stamp++
	if s.stamp == 0 {
		clear(s.docStamp)
		clear(s.scoreStamp)
		clear(s.wordStamp)
		clear(s.queryStamp)
		s.stamp = 1
	}
	return s.stamp
}

// answerText is an answer's words without its HTML tags.
func answerText(html string) string {
	var b strings.Builder
	inTag := false
	for _, r := range html {
		switch {
		case r == '<':
			inTag = true
		case r == '>':
			inTag = false
			b.WriteByte(' ')
		case !inTag:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func band(hits []bot.Hit) bot.Band {
	if len(hits) == 0 || hits[0].Score < suggestScore {
		return bot.BandNone
	}
	if hits[0].Score >= answerScore && (len(hits) == 1 || hits[0].Score-hits[1].Score >= answerMargin) {
		return bot.BandAnswer
	}
	return bot.BandSuggest
}

// detect says which language a question is in. Kyrgyz letters decide at
// once; otherwise filler words and Kyrgyz endings vote, and each content word
// votes for the languages of the phrasings that use the vocabulary word it
// stands for. A tie goes to the user's language.
func (ix *Index) detect(question string, all, query []string, perWord [][]candidate, lang string) string {
	if strings.ContainsAny(strings.ToLower(question), "ңөүҢӨҮ") {
		return bot.Kyrgyz
	}
	votes := map[string]float64{}
	for _, w := range all {
		switch {
		case kyrgyzStopWords[w] && !russianStopWords[w], looksKyrgyz(w):
			votes[bot.Kyrgyz]++
		case russianStopWords[w] && !kyrgyzStopWords[w]:
			votes[bot.Russian]++
		}
	}
	for i := range query {
		if len(perWord[i]) == 0 {
			continue
		}
		c := ix.words[perWord[i][0].word]
		total := float64(c.byLang[bot.Kyrgyz] + c.byLang[bot.Russian])
		for l, n := range c.byLang {
			votes[l] += float64(n) / total
		}
	}
	switch {
	case votes[bot.Kyrgyz] > votes[bot.Russian]:
		return bot.Kyrgyz
	case votes[bot.Russian] > votes[bot.Kyrgyz]:
		return bot.Russian
	case lang != "":
		return lang
	}
	return bot.Russian
}

// looksKyrgyz tells Kyrgyz words by endings Russian does not have.
func looksKyrgyz(w string) bool {
	for _, end := range []string{"пи", "бы", "пы", "бу", "мын", "сыз", "ынча", "ыш", "уу", "оо", "дагы", "деги", "тогу", "догу"} {
		if strings.HasSuffix(w, end) && utf8.RuneCountInString(w) > len([]rune(end))+2 {
			return true
		}
	}
	return false
}

func unique(list []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range list {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// Filler words carry no meaning for matching (greetings, pronouns,
// particles, question words, auxiliary verbs), but they tell the language.
// Folded, as words() returns them.
var (
	russianStopWords = wordSet(`
		и в во на с со по к ко о об а но ли же я мне меня мой моя мои у как что это для из за от до
		здравствуйте привет добрый день вечер утро пожалуйста подскажите скажите помогите спасибо
		мы вы нам вас вам он она они его ее их бы есть или то так тоже еще уже когда где куда
		если чтобы надо нужно нужна нужен можно ну вот да нет там тут кто какой какая какие каком
		дела делать сделать будет может могу хочу чем теперь очень просто только все`)
	kyrgyzStopWords = wordSet(`
		салам саламатсызбы саламатсыздарбы ассаламу алейкум мен мага менин биз сиз сизге сураныч
		жана да де деле бир бул ушул ал анын эмне кандай кантип качан кайда канча барбы рахмат
		ким кимге эле го керек керекпи болот болобу болмок кылам кылыш жасаш
		жатат жатам жатышат жатабыз калды калдым кетти`)
)

func wordSet(text string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(text) {
		m[w] = true
	}
	return m
}
