// Package match ranks FAQ entries for a typed question.
//
// Each question and alternate phrasing of the catalogue is a document of word
// stems; a query scores against a document by the share of its own weight
// (IDF) that the document covers, blended with the share of the document it
// covers. An entry scores as its best phrasing.
package match

import (
	"math"
	"sort"
	"strings"
	"unicode"

	"migrantbot/internal/bot"
)

// Confidence bands, calibrated by hand on the shipped FAQ.
const (
	answerScore  = 0.6  // at or above: answer
	answerMargin = 0.05 // ...and ahead of the next entry by this much
	suggestScore = 0.3  // at or above: "did you mean"
	secondWeight = 0.15 // share of an entry's second-best phrasing added to its best
)

// stemRunes is how much of a word is kept: enough to tell words apart,
// short enough that Russian and Kyrgyz endings fall away (регистрации → регис).
const stemRunes = 5

type document struct {
	entry string
	lang  string
	stems map[string]bool
}

// Index is a matcher over one catalogue; it is read-only once built.
type Index struct {
	docs []document
	df   map[string]int            // stem -> documents containing it
	lang map[string]map[string]int // stem -> language -> documents
}

// New indexes every question and alternate phrasing of the catalogue.
func New(c *bot.Catalog) *Index {
	ix := &Index{df: map[string]int{}, lang: map[string]map[string]int{}}
	for _, e := range c.Entries() {
		for lang, t := range e.Text {
			for _, p := range append([]string{t.Question}, t.Also...) {
				d := document{entry: e.ID, lang: lang, stems: map[string]bool{}}
				for _, s := range stems(p) {
					d.stems[s] = true
				}
				for s := range d.stems {
					ix.df[s]++
					if ix.lang[s] == nil {
						ix.lang[s] = map[string]int{}
					}
					ix.lang[s][lang]++
				}
				ix.docs = append(ix.docs, d)
			}
		}
	}
	return ix
}

// Match ranks the entries for a question.
func (ix *Index) Match(question string) bot.Match {
	query := unique(stems(question))
	m := bot.Match{Lang: ix.detect(question, query)}
	if len(query) == 0 {
		return m
	}
	weight := map[string]float64{}
	var total float64
	for _, s := range query {
		weight[s] = ix.idf(s)
		total += weight[s]
	}
	best, second := map[string]float64{}, map[string]float64{}
	for _, d := range ix.docs {
		var covered float64
		for _, s := range query {
			if d.stems[s] {
				covered += weight[s]
			}
		}
		if covered == 0 {
			continue
		}
		// Mostly how much of the question the phrasing explains; a little of
		// how much of the phrasing the question explains, so that of two
		// phrasings the one with fewer rare extra words wins.
		score := 0.8*covered/total + 0.2*covered/ix.weight(d)
		switch {
		case score > best[d.entry]:
			best[d.entry], second[d.entry] = score, best[d.entry]
		case score > second[d.entry]:
			second[d.entry] = score
		}
	}
	for id, score := range best {
		// A second phrasing of the same entry that also fits is corroboration.
		score = math.Min(1, score+secondWeight*second[id])
		m.Hits = append(m.Hits, bot.Hit{ID: id, Score: math.Round(score*1000) / 1000})
	}
	sort.Slice(m.Hits, func(i, j int) bool {
		if m.Hits[i].Score != m.Hits[j].Score {
			return m.Hits[i].Score > m.Hits[j].Score
		}
		return m.Hits[i].ID < m.Hits[j].ID
	})
	m.Band = band(m.Hits)
	return m
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

// weight is the total IDF of a document's stems.
func (ix *Index) weight(d document) float64 {
	var w float64
	for s := range d.stems {
		w += ix.idf(s)
	}
	return w
}

// idf weighs a stem by how rare it is; a stem no document has weighs most,
// so that a question about something else scores low everywhere.
func (ix *Index) idf(stem string) float64 {
	n := float64(len(ix.docs))
	return math.Log(1 + (n+1)/(float64(ix.df[stem])+0.5))
}

// detect says which language a question is in: Kyrgyz letters decide at
// once; otherwise the language whose phrasings share more of its words.
func (ix *Index) detect(question string, query []string) string {
	if strings.ContainsAny(strings.ToLower(question), "ңөү") {
		return bot.Kyrgyz
	}
	votes := map[string]float64{}
	for _, s := range query {
		for lang, n := range ix.lang[s] {
			votes[lang] += float64(n) / float64(ix.df[s]) * ix.idf(s)
		}
	}
	if votes[bot.Kyrgyz] > votes[bot.Russian] {
		return bot.Kyrgyz
	}
	return bot.Russian
}

// stems splits text into words, drops filler and keeps the start of each word.
func stems(text string) []string {
	var out []string
	for _, w := range words(text) {
		if stopWords[w] {
			continue
		}
		r := []rune(w)
		if len(r) > stemRunes {
			r = r[:stemRunes]
		}
		out = append(out, string(r))
	}
	return out
}

// words lower-cases text, folds letters people often type without their
// marks (ё, ң, ө, ү) and splits on anything that is not a letter or digit.
func words(text string) []string {
	folded := strings.Map(func(r rune) rune {
		r = unicode.ToLower(r)
		switch r {
		case 'ё':
			return 'е'
		case 'ң':
			return 'н'
		case 'ө':
			return 'о'
		case 'ү':
			return 'у'
		}
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return r
		}
		return ' '
	}, text)
	return strings.Fields(folded)
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

// stopWords carry no meaning for matching: greetings, pronouns, particles
// (folded, as words() returns them).
var stopWords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`
		и в во на с со по к ко о об а но ли же я мне меня мой моя у как что это для из за от до
		здравствуйте привет добрый день пожалуйста подскажите скажите можно мы вы нам вас
		ли бы есть или то так тоже еще уже когда где куда если чтобы надо нужно
		салам саламатсызбы саламатсыздарбы ассалому алейкум мен мага менин биз сиз сураныч
		жана да де деле бир бул ушул ал анын эмне кандай кантип барбы качан кайда
	`) {
		m[w] = true
	}
	return m
}()
