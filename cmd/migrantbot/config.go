package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"strings"
	"time"

	faqfiles "migrantbot/faq"
	"migrantbot/internal/bolt"
	"migrantbot/internal/bot"
	"migrantbot/internal/faq"
	"migrantbot/internal/locale"
	"migrantbot/internal/match"
	"migrantbot/locales"
)

// config is every setting, each a flag with an environment fallback.
// This is the one place they are defined.
type config struct {
	db          string
	faqDir      string
	token       string
	endpoint    string
	webhookURL  string
	secret      string
	listen      string
	pollTimeout time.Duration
}

// newFlags returns a subcommand's flag set with the settings it uses.
func newFlags(env *environment, name, args, about string, cfg *config, settings ...string) *flag.FlagSet {
	fset := flag.NewFlagSet(name, flag.ContinueOnError)
	fset.SetOutput(env.stderr)
	for _, s := range settings {
		switch s {
		case "db":
			fset.StringVar(&cfg.db, "db", envOr(env, "MIGRANTBOT_DB", "migrantbot.db"), "bbolt database file (env MIGRANTBOT_DB)")
		case "faq":
			fset.StringVar(&cfg.faqDir, "faq", env.getenv("MIGRANTBOT_FAQ_DIR"), "FAQ directory; empty: the FAQ built into the binary (env MIGRANTBOT_FAQ_DIR)")
		case "telegram":
			fset.StringVar(&cfg.token, "token", env.getenv("TELEGRAM_BOT_TOKEN"), "the bot's token from @BotFather (env TELEGRAM_BOT_TOKEN)")
			fset.StringVar(&cfg.endpoint, "api-endpoint", env.getenv("MIGRANTBOT_API_ENDPOINT"), "Bot API endpoint, http://host:port/bot%s/%s; empty: Telegram's (env MIGRANTBOT_API_ENDPOINT)")
			fset.StringVar(&cfg.webhookURL, "webhook-url", env.getenv("MIGRANTBOT_WEBHOOK_URL"), "public https URL for Telegram to post updates to; empty: long polling (env MIGRANTBOT_WEBHOOK_URL)")
			fset.StringVar(&cfg.secret, "webhook-secret", env.getenv("MIGRANTBOT_WEBHOOK_SECRET"), "secret Telegram sends with each webhook request (env MIGRANTBOT_WEBHOOK_SECRET)")
			fset.StringVar(&cfg.listen, "listen", envOr(env, "MIGRANTBOT_LISTEN", ":8080"), "address for the webhook and /healthz (env MIGRANTBOT_LISTEN)")
			fset.DurationVar(&cfg.pollTimeout, "poll-timeout", 25*time.Second, "how long one getUpdates long poll waits")
		}
	}
	fset.Usage = func() {
		fmt.Fprintf(fset.Output(), "Usage: migrantbot %s %s\n\n%s\n", name, args, about)
		if len(settings) > 0 {
			fmt.Fprintln(fset.Output(), "\nFlags:")
			fset.PrintDefaults()
		}
	}
	return fset
}

// parseFlags parses args; -h prints the usage to stdout and stops.
func parseFlags(env *environment, fset *flag.FlagSet, args []string) error {
	for _, a := range args {
		if a == "-h" || a == "-help" || a == "--help" {
			fset.SetOutput(env.stdout)
			fset.Usage()
			return flag.ErrHelp
		}
	}
	if err := fset.Parse(args); err != nil {
		return usageError{err.Error()}
	}
	return nil
}

func envOr(env *environment, key, fallback string) string {
	if v := env.getenv(key); v != "" {
		return v
	}
	return fallback
}

// faqSource is where the FAQ is read from, and how its files are named.
func (c *config) faqSource() (fs.FS, string) {
	if c.faqDir == "" {
		return faqfiles.FS, "faq"
	}
	return os.DirFS(c.faqDir), c.faqDir
}

// faqReloadInterval is how often a FAQ directory is checked for edits.
const faqReloadInterval = 2 * time.Second

// knowledge builds the matcher of a catalogue.
func knowledge(cat *bot.Catalog) *bot.Knowledge {
	return &bot.Knowledge{Catalog: cat, Matcher: match.New(cat)}
}

// loadKnowledge reads the FAQ and builds its matcher.
func (c *config) loadKnowledge() (*bot.Knowledge, error) {
	fsys, dir := c.faqSource()
	cat, problems := faq.Load(fsys, dir, time.Now())
	if err := faq.Err(problems); err != nil {
		return nil, errors.New(strings.Replace(err.Error(), "the FAQ", "the FAQ in "+dir, 1))
	}
	return knowledge(cat), nil
}

// openBot opens everything the conversation needs and, for a FAQ directory,
// reloads it on every edit until ctx is done. The caller closes the store.
func (c *config) openBot(ctx context.Context, log *slog.Logger) (*bot.Bot, *bolt.DB, error) {
	tr, err := locale.Load(locales.FS, bot.Languages)
	if err != nil {
		return nil, nil, err
	}
	know, err := c.loadKnowledge()
	if err != nil {
		return nil, nil, err
	}
	db, err := bolt.Open(c.db)
	if err != nil {
		return nil, nil, err
	}
	library := bot.NewLibrary(know)
	if c.faqDir != "" {
		fsys, dir := c.faqSource()
		go faq.Watch(ctx, fsys, dir, faqReloadInterval,
			func(cat *bot.Catalog) {
				library.Set(knowledge(cat))
				log.Info("FAQ reloaded", "dir", dir, "entries", len(cat.Entries()))
			},
			func(err error) { log.Error("FAQ edit rejected; the last good FAQ stays in use", "err", err) })
	}
	return bot.New(db, library, tr, log), db, nil
}
