package match_test

import (
	"fmt"
	"math/rand"
	"runtime"
	"strings"
	"testing"

	"migrantbot/internal/bot"
	"migrantbot/internal/match"
)

// FuzzMatch: any text, in any script, gets a ranking without panicking,
// best first, with scores between 0 and 1, and a language the bot speaks.
func FuzzMatch(f *testing.F) {
	ix := index(f)
	for _, s := range []string{"патент керекпи", "registraciya nado?", "", "ңөү", "a'b`c", strings.Repeat("жумуш ", 200), "\xff\xfe", "1:entry:x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		m := ix.Match(q, "")
		if m.Lang != bot.Kyrgyz && m.Lang != bot.Russian {
			t.Fatalf("language %q", m.Lang)
		}
		for i, h := range m.Hits {
			if h.Score < 0 || h.Score > 1 || i > 0 && h.Score > m.Hits[i-1].Score {
				t.Fatalf("hits %v", m.Hits)
			}
		}
		if m.Band != bot.BandNone && len(m.Hits) == 0 {
			t.Fatalf("band %v without hits", m.Band)
		}
	})
}

func BenchmarkMatchShippedFAQ(b *testing.B) {
	ix := index(b)
	questions := readEval(b)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ix.Match(questions[i%len(questions)].question, "")
	}
}

// synthetic is a catalogue of n entries made of the shipped FAQ's own
// words, shaped like real entries: a question, 10 phrasings and an answer
// of about 120 words in each language.
func synthetic(tb testing.TB, n int) *bot.Catalog {
	rng := rand.New(rand.NewSource(1))
	vocab := map[string][]string{}
	for _, e := range catalog(tb).Entries() {
		for lang, t := range e.Text {
			vocab[lang] = append(vocab[lang], strings.Fields(t.Question+" "+strings.Join(t.Also, " ")+" "+t.Answer)...)
		}
	}
	phrase := func(lang string, words int) string {
		var out []string
		for i := 0; i < words; i++ {
			out = append(out, vocab[lang][rng.Intn(len(vocab[lang]))])
		}
		return strings.Join(out, " ")
	}
	entries := make([]*bot.Entry, n)
	for i := range entries {
		e := &bot.Entry{ID: fmt.Sprintf("synthetic.e%d", i), Topic: "synthetic", Text: map[string]bot.EntryText{}}
		for _, lang := range bot.Languages {
			t := bot.EntryText{Question: phrase(lang, 6), Answer: phrase(lang, 120)}
			for j := 0; j < 10; j++ {
				t.Also = append(t.Also, phrase(lang, 3+rng.Intn(5)))
			}
			e.Text[lang] = t
		}
		entries[i] = e
	}
	return bot.NewCatalog(nil, entries, nil)
}

func BenchmarkMatchSynthetic2000(b *testing.B) {
	ix := match.New(synthetic(b, 2000))
	questions := readEval(b)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ix.Match(questions[i%len(questions)].question, "")
	}
}

// BenchmarkIndexSynthetic2000 measures building the index, and the memory
// the built index holds (MB/index).
func BenchmarkIndexSynthetic2000(b *testing.B) {
	cat := synthetic(b, 2000)
	var held float64
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		ix := match.New(cat)
		runtime.GC()
		runtime.ReadMemStats(&after)
		held = float64(after.HeapAlloc-before.HeapAlloc) / (1 << 20)
		runtime.KeepAlive(ix)
	}
	b.ReportMetric(held, "MB/index")
}

// BenchmarkMatchHostileInput: a 10,000-character message of ambiguous
// Latin letters costs no more than a long question.
func BenchmarkMatchHostileInput(b *testing.B) {
	ix := index(b)
	q := strings.Repeat("jjjjjjjjjj yyyyyyyyy ", 500)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		ix.Match(q, "")
	}
}
