package match_test

import (
	"testing"
	"time"

	faqfiles "migrantbot/faq"
	"migrantbot/internal/bot"
	"migrantbot/internal/faq"
	"migrantbot/internal/match"
)

func catalog(t testing.TB) *bot.Catalog {
	t.Helper()
	cat, problems := faq.Load(faqfiles.FS, "faq", time.Now())
	if err := faq.Err(problems); err != nil {
		t.Fatal(err)
	}
	return cat
}

func index(t testing.TB) *match.Index { return match.New(catalog(t)) }

func TestTypedQuestionsFindTheirEntry(t *testing.T) {
	ix := index(t)
	cases := []struct{ q, lang, id string }{
		{"патент керекпи", bot.Kyrgyz, "stay.patent"},
		{"нужна ли регистрация", bot.Russian, "stay.registration"},
		{"Каттоо канча кундо керек?", bot.Kyrgyz, "stay.registration"}, // no ү
		{"меня уволили, что делать", bot.Russian, "stay.job-loss"},
		{"медосмотр когда проходить", bot.Russian, "stay.medical"},
		{"консульство в Новосибирске", bot.Russian, "help.embassy"},
	}
	for _, c := range cases {
		m := ix.Match(c.q, "")
		if m.Lang != c.lang || len(m.Hits) == 0 || m.Hits[0].ID != c.id || m.Band == bot.BandNone {
			t.Errorf("%q: lang %s band %v hits %v; want %s first in %s", c.q, m.Lang, m.Band, m.Hits, c.id, c.lang)
		}
	}
}

func TestOutOfScopeLandsInNone(t *testing.T) {
	ix := index(t)
	for _, q := range []string{"какая погода завтра", "кто выиграл футбол", "рецепт плова", "", "!!!", "продам айфон недорого"} {
		if m := ix.Match(q, ""); m.Band != bot.BandNone {
			t.Errorf("%q: band %v, hits %v", q, m.Band, m.Hits)
		}
	}
}

func TestHitsAreRankedBestFirst(t *testing.T) {
	m := index(t).Match("регистрация дней", "")
	for i := 1; i < len(m.Hits); i++ {
		if m.Hits[i].Score > m.Hits[i-1].Score {
			t.Fatalf("not sorted: %v", m.Hits)
		}
	}
}
