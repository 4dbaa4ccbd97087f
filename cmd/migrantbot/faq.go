package main

import (
	"context"
	"fmt"
	"io"
	"slices"
	"time"

	"migrantbot/internal/bot"

	"migrantbot/internal/faq"
)

func runFAQ(ctx context.Context, env *environment, args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprintln(env.stdout, `Usage: migrantbot faq <check|export> [flags]

  check    list every problem in the FAQ files as file:line: message; exit 1 on errors
  export   write every entry as CSV or JSON, for translation review in a spreadsheet`)
		if len(args) == 0 {
			return usageError{"faq needs a subcommand: check or export"}
		}
		return nil
	}
	switch args[0] {
	case "check":
		return runFAQCheck(env, args[1:])
	case "export":
		return runFAQExport(env, args[1:])
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
