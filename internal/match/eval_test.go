package match_test

import (
	"bufio"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"

	"migrantbot/internal/bot"
)

// The bars the evaluation must clear.
const (
	minTop1      = 0.90
	minTop3      = 0.97
	minRejection = 0.90
)

type labelled struct {
	id, question string
	tags         []string
}

func readEval(t testing.TB) []labelled {
	f, err := os.Open("testdata/eval.tsv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var set []labelled
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		text := sc.Text()
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		cols := strings.Split(text, "\t")
		if len(cols) != 3 {
			t.Fatalf("eval.tsv:%d: want 3 tab-separated columns, got %d", line, len(cols))
		}
		set = append(set, labelled{id: cols[0], tags: strings.Split(cols[1], ","), question: cols[2]})
	}
	return set
}

// TestEvaluation reports how the matcher does on questions it was not built
// from, and fails under the bars above.
func TestEvaluation(t *testing.T) {
	ix, cat := index(t), catalog(t)
	set := readEval(t)

	type tally struct{ n, top1, top3, answered, wrong, rejected int }
	byTag := map[string]*tally{}
	count := func(tags []string, f func(*tally)) {
		for _, tag := range append(tags, "all") {
			if byTag[tag] == nil {
				byTag[tag] = &tally{}
			}
			f(byTag[tag])
		}
	}
	var inScope, outScope, top1, top3, rejected, answeredRight, answeredWrong, missed int
	var failures []string
	for _, q := range set {
		m := ix.Match(q.question, "")
		if q.id == "none" {
			outScope++
			if m.Band == bot.BandNone {
				rejected++
			} else {
				failures = append(failures, fmt.Sprintf("out of scope, got %s %s: %q", m.Band, first(m), q.question))
			}
			continue
		}
		if _, ok := cat.Entry(q.id); !ok {
			t.Fatalf("eval.tsv names %s, which is not in the FAQ", q.id)
		}
		inScope++
		rank := -1
		for i, h := range m.Hits {
			if h.ID == q.id {
				rank = i
				break
			}
		}
		count(q.tags, func(c *tally) {
			c.n++
			if rank == 0 {
				c.top1++
			}
			if rank >= 0 && rank < 3 {
				c.top3++
			}
		})
		if rank == 0 {
			top1++
		}
		if rank >= 0 && rank < 3 {
			top3++
		}
		switch {
		case m.Band == bot.BandAnswer && rank == 0:
			answeredRight++
		case m.Band == bot.BandAnswer:
			answeredWrong++
			failures = append(failures, fmt.Sprintf("WRONG ANSWER %s instead of %s: %q", first(m), q.id, q.question))
		case m.Band == bot.BandNone:
			missed++
			failures = append(failures, fmt.Sprintf("no answer (%s wanted, best %s): %q", q.id, first(m), q.question))
		case rank != 0:
			failures = append(failures, fmt.Sprintf("suggests %s, %s wanted at rank %d: %q", first(m), q.id, rank+1, q.question))
		}
	}

	pct := func(a, b int) float64 { return float64(a) / float64(max(b, 1)) }
	t.Logf("evaluation: %d questions, %d in scope, %d out of scope", len(set), inScope, outScope)
	t.Logf("top-1 %.1f%%  top-3 %.1f%%  out-of-scope rejected %.1f%%", 100*pct(top1, inScope), 100*pct(top3, inScope), 100*pct(rejected, outScope))
	t.Logf("in scope: answered right %d, answered WRONG %d, suggested %d, no answer %d",
		answeredRight, answeredWrong, inScope-answeredRight-answeredWrong-missed, missed)
	var tags []string
	for tag := range byTag {
		tags = append(tags, tag)
	}
	sort.Strings(tags)
	for _, tag := range tags {
		c := byTag[tag]
		t.Logf("  %-6s %3d questions  top-1 %5.1f%%  top-3 %5.1f%%", tag, c.n, 100*pct(c.top1, c.n), 100*pct(c.top3, c.n))
	}
	for _, f := range failures {
		t.Log("  " + f)
	}
	if pct(top1, inScope) < minTop1 || pct(top3, inScope) < minTop3 || pct(rejected, outScope) < minRejection {
		t.Errorf("under the bar: top-1 %.1f%% (min %.0f%%), top-3 %.1f%% (min %.0f%%), rejection %.1f%% (min %.0f%%)",
			100*pct(top1, inScope), 100*minTop1, 100*pct(top3, inScope), 100*minTop3, 100*pct(rejected, outScope), 100*minRejection)
	}
}

func first(m bot.Match) string {
	if len(m.Hits) == 0 {
		return "-"
	}
	return fmt.Sprintf("%s(%.2f)", m.Hits[0].ID, m.Hits[0].Score)
}

// TestEvaluationQuestionsAreNotInTheFAQ keeps the evaluation honest: a
// question copied into the FAQ's phrasings tests nothing.
func TestEvaluationQuestionsAreNotInTheFAQ(t *testing.T) {
	norm := func(s string) string {
		return strings.Join(strings.Fields(strings.ToLower(strings.Trim(s, "?!. "))), " ")
	}
	phrasings := map[string]string{}
	for _, e := range catalog(t).Entries() {
		for _, text := range e.Text {
			for _, p := range append([]string{text.Question}, text.Also...) {
				phrasings[norm(p)] = e.ID
			}
		}
	}
	for _, q := range readEval(t) {
		if id, ok := phrasings[norm(q.question)]; ok {
			t.Errorf("%q is a phrasing of %s: replace it in eval.tsv with a new question", q.question, id)
		}
	}
}
