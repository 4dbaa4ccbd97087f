package main

import (
	"context"
	"log/slog"
	"os"

	"migrantbot/internal/console"
)

func runChat(ctx context.Context, env *environment, args []string) error {
	var cfg config
	fset := newFlags(env, "chat", "[flags]", `Talk to the bot in this terminal as a migrant would in Telegram: no token, no network.
Buttons show as numbered options; type the number to press one. Commands: /start, /menu, /lang, /help.
When the input is not a terminal, each line is one message: printf '/start\n2\n' | migrantbot chat`, &cfg, "db", "faq", "referrals")
	if err := parseFlags(env, fset, args); err != nil {
		return err
	}
	if fset.NArg() > 0 {
		return usageError{"chat takes no arguments"}
	}
	log := slog.New(slog.NewTextHandler(env.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	b, db, err := cfg.openBot(ctx, log, nil)
	if err != nil {
		return err
	}
	defer db.Close()
	chat := &console.Chat{
		Bot: b, In: env.stdin, Out: env.stdout,
		Interactive: isTerminal(env.stdin),
		Errors:      func(err error) { log.Error("handling a message failed", "err", err) },
	}
	return chat.Run(ctx)
}

func isTerminal(r any) bool {
	f, ok := r.(*os.File)
	if !ok {
		return false
	}
	info, err := f.Stat()
	return err == nil && info.Mode()&os.ModeCharDevice != 0
}
