package main

import (
	"context"
	"fmt"
	"time"

	"migrantbot/internal/faq"
)

func runFAQ(ctx context.Context, env *environment, args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprintln(env.stdout, "Usage: migrantbot faq check [flags]\n\n  check   list every problem in the FAQ files as file:line: message; exit 1 on errors")
		if len(args) == 0 {
			return usageError{"faq needs a subcommand: check"}
		}
		return nil
	}
	switch args[0] {
	case "check":
		return runFAQCheck(env, args[1:])
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
