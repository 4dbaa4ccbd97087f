package main

import (
	"context"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"time"

	"migrantbot/internal/bolt"
	"migrantbot/internal/bot"
	"migrantbot/internal/match"

	"migrantbot/internal/faq"
)

func runFAQ(ctx context.Context, env *environment, args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprintln(env.stdout, `Usage: migrantbot faq <check|export|unanswered> [flags]

  check       list every problem in the FAQ files as file:line: message; exit 1 on errors
  export      write every entry as CSV or JSON, for translation review in a spreadsheet
  unanswered  the questions the bot could not answer, grouped, most asked first`)
		if len(args) == 0 {
			return usageError{"faq needs a subcommand: check, export or unanswered"}
		}
		return nil
	}
	switch args[0] {
	case "check":
		return runFAQCheck(env, args[1:])
	case "export":
		return runFAQExport(env, args[1:])
	case "unanswered":
		return runFAQUnanswered(ctx, env, args[1:])
	}
	return usageError{fmt.Sprintf("unknown faq subcommand %q", args[0])}
}

func runFAQCheck(env *environment, args []string) error {
	var cfg config
	fset := newFlags(env, "faq check", "[flags]", `Check the FAQ files: every problem as file:line: message.
Errors stop the bot from using the FAQ; warnings do not. Exit code 1 when there are errors.`, &cfg, "faq")
	if err := parseFlags(env, fset, args); err != nil {
		return err
	}
	fsys, dir := cfg.faqSource()
	cat, problems := faq.Load(fsys, dir, time.Now())
	for _, p := range problems {
		fmt.Fprintln(env.stdout, p)
	}
	errs := len(faq.Errors(problems))
	if errs > 0 {
		return fmt.Errorf("%s: %d error(s), %d warning(s)", dir, errs, len(problems)-errs)
	}
	fmt.Fprintf(env.stdout, "%s: %d entries in %d topics, no errors, %d warning(s)\n", dir, len(cat.Entries()), len(cat.Topics), len(problems))
	return nil
}

func runFAQExport(env *environment, args []string) error {
	var cfg config
	fset := newFlags(env, "faq export", "[flags]", `Write every entry (id, topic, language, question, alternates, answer, reviewed,
sources) to standard output: one row per entry and language. The CSV opens in Excel.`, &cfg, "faq")
	format := fset.String("format", "csv", "csv or json")
	lang := fset.String("lang", "", "only this language: ky or ru (default: both)")
	if err := parseFlags(env, fset, args); err != nil {
		return err
	}
	langs := bot.Languages
	if *lang != "" {
		if !slices.Contains(bot.Languages, *lang) {
			return usageError{fmt.Sprintf("-lang %q: want ky or ru", *lang)}
		}
		langs = []string{*lang}
	}
	write := map[string]func(io.Writer, []faq.Record) error{"csv": faq.WriteCSV, "json": faq.WriteJSON}[*format]
	if write == nil {
		return usageError{fmt.Sprintf("-format %q: want csv or json", *format)}
	}
	fsys, dir := cfg.faqSource()
	records, err := faq.Records(fsys, dir, langs, time.Now())
	if err != nil {
		return err
	}
	return write(env.stdout, records)
}

func runFAQUnanswered(ctx context.Context, env *environment, args []string) error {
	var cfg config
	fset := newFlags(env, "faq unanswered", "[flags]", `List the questions the bot answered with "I don't know" (none) or "did you mean"
(suggest), grouped by similarity, most asked first, with the suggestion people
picked: the best hint for a new alternate phrasing or a new entry.`, &cfg, "db")
	since := fset.String("since", "", "only questions asked on or after this date (2026-11-01)")
	if err := parseFlags(env, fset, args); err != nil {
		return err
	}
	var from time.Time
	if *since != "" {
		var err error
		if from, err = time.Parse("2006-01-02", *since); err != nil {
			return usageError{fmt.Sprintf("-since %q: want a date like 2026-11-01", *since)}
		}
	}
	db, err := bolt.Open(cfg.db)
	if err != nil {
		return err
	}
	defer db.Close()
	questions, err := db.Questions(ctx, from)
	if err != nil {
		return err
	}
	texts := make([]string, len(questions))
	for i, q := range questions {
		texts[i] = q.Text
	}
	groups := match.Group(texts)
	sort.SliceStable(groups, func(i, j int) bool { return len(groups[i]) > len(groups[j]) })
	fmt.Fprintf(env.stdout, "%d questions in %d groups\n", len(questions), len(groups))
	for _, g := range groups {
		bands, langs, picked := map[string]int{}, map[string]int{}, map[string]int{}
		var examples []string
		for _, i := range g {
			q := questions[i]
			bands[q.Band]++
			langs[q.Lang]++
			if q.Picked != "" {
				picked[q.Picked]++
			}
			if len(examples) < 5 && !slices.Contains(examples, q.Text) {
				examples = append(examples, q.Text)
			}
		}
		fmt.Fprintf(env.stdout, "\n%d× %s; %s", len(g), counts(langs), counts(bands))
		if len(picked) > 0 {
			fmt.Fprintf(env.stdout, "; picked %s", counts(picked))
		}
		fmt.Fprintln(env.stdout)
		for _, e := range examples {
			fmt.Fprintf(env.stdout, "    %s\n", e)
		}
	}
	return nil
}

// counts formats a tally as "ky 3, ru 1", largest first.
func counts(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return m[keys[i]] > m[keys[j]] || m[keys[i]] == m[keys[j]] && keys[i] < keys[j] })
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %d", k, m[k])
	}
	return strings.Join(parts, ", ")
}
