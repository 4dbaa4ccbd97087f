// Command migrantbot is a Telegram bot that answers labour migrants from
// Kyrgyzstan in Kyrgyz and Russian. `migrantbot help` lists its commands.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(exitCode(err, os.Stderr))
}

// usageError is a mistake in the command line: exit code 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func exitCode(err error, stderr io.Writer) int {
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return 0
	}
	fmt.Fprintln(stderr, "migrantbot:", err)
	if errors.As(err, new(usageError)) {
		return 2
	}
	return 1
}

// command is a subcommand: its one-line summary and what it does.
type command struct {
	summary string
	run     func(ctx context.Context, env *environment, args []string) error
}

// environment is what a subcommand may use of the world outside.
type environment struct {
	getenv         func(string) string
	stdin          io.Reader
	stdout, stderr io.Writer
}

var commands = map[string]command{
	"chat":      {"talk to the bot in this terminal, without Telegram", runChat},
	"run":       {"serve the bot in Telegram (TELEGRAM_BOT_TOKEN)", runRun},
	"ask":       {"answer questions as JSON lines: what the matcher makes of them", runAsk},
	"faq":       {"check, export the FAQ files; the questions it could not answer", runFAQ},
	"referrals": {"list or export the referrals, also while the bot runs", runReferrals},
	"backup":    {"write a consistent copy of the database, also while the bot runs", runBackup},
}

var commandOrder = []string{"chat", "run", "ask", "faq", "referrals", "backup"}

func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	env := &environment{getenv: getenv, stdin: stdin, stdout: stdout, stderr: stderr}
	if len(args) == 0 {
		usage(stderr)
		return usageError{"no command given"}
	}
	switch args[0] {
	case "help", "-h", "-help", "--help":
		usage(stdout)
		return nil
	}
	cmd, ok := commands[args[0]]
	if !ok {
		usage(stderr)
		return usageError{fmt.Sprintf("unknown command %q", args[0])}
	}
	return cmd.run(ctx, env, args[1:])
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "Usage: migrantbot <command> [flags]\n\nCommands:")
	for _, name := range commandOrder {
		fmt.Fprintf(w, "  %-10s %s\n", name, commands[name].summary)
	}
	fmt.Fprintln(w, "\n`migrantbot <command> -h` shows a command's flags.")
}
