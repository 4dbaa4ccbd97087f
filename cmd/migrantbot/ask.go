package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"migrantbot/internal/bot"
)

type askResult struct {
	Query       string          `json:"query"`
	Lang        string          `json:"lang"`
	Band        string          `json:"band"`
	ID          string          `json:"id"`
	Score       float64         `json:"score"`
	Suggestions []askSuggestion `json:"suggestions"`
}

type askSuggestion struct {
	ID    string  `json:"id"`
	Score float64 `json:"score"`
}

func runAsk(ctx context.Context, env *environment, args []string) error {
	var cfg config
	fset := newFlags(env, "ask", "[flags] [QUESTION...]", `Show what the matcher makes of questions, one JSON line each:
{"query":..., "lang":..., "band":"answer|suggest|none", "id":..., "score":..., "suggestions":[...]}
Questions come from the arguments, or one per line on standard input.
"lang" is the language the question is in; -lang is the user's language,
which decides when the question itself does not tell.`, &cfg, "faq")
	lang := fset.String("lang", "", "the user's language: ky or ru")
	if err := parseFlags(env, fset, args); err != nil {
		return err
	}
	if *lang != "" && !slices.Contains(bot.Languages, *lang) {
		return usageError{fmt.Sprintf("-lang %q: want ky or ru", *lang)}
	}
	know, err := cfg.loadKnowledge()
	if err != nil {
		return err
	}
	out := json.NewEncoder(env.stdout)
	out.SetEscapeHTML(false)
	answer := func(q string) error {
		m := know.Matcher.Match(q, *lang)
		r := askResult{Query: q, Lang: m.Lang, Band: m.Band.String(), Suggestions: []askSuggestion{}}
		hits := m.Hits
		if len(hits) > 0 {
			r.Score = hits[0].Score
		}
		if m.Band == bot.BandAnswer {
			r.ID, hits = hits[0].ID, hits[1:]
		}
		for _, h := range hits[:min(3, len(hits))] {
			r.Suggestions = append(r.Suggestions, askSuggestion{h.ID, h.Score})
		}
		return out.Encode(r)
	}
	if fset.NArg() > 0 {
		for _, q := range fset.Args() {
			if err := answer(q); err != nil {
				return err
			}
		}
		return nil
	}
	sc := bufio.NewScanner(env.stdin)
	for sc.Scan() {
		if q := strings.TrimSpace(sc.Text()); q != "" {
			if err := answer(q); err != nil {
				return err
			}
		}
	}
	return sc.Err()
}
