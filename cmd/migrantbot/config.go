package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"strconv"
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

	coordinators string
	coordChats   string
	retention    int
	adminListen  string
	adminToken   string
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
			fset.StringVar(&cfg.adminListen, "admin-listen", envOr(env, "MIGRANTBOT_ADMIN_LISTEN", "127.0.0.1:8081"), "loopback address where `referrals` and `backup` reach the running bot (env MIGRANTBOT_ADMIN_LISTEN)")
			fset.StringVar(&cfg.adminToken, "admin-token", env.getenv("MIGRANTBOT_ADMIN_TOKEN"), "token for that address; empty: a random one, kept next to the database (env MIGRANTBOT_ADMIN_TOKEN)")
		case "referrals":
			fset.StringVar(&cfg.coordinators, "coordinators", env.getenv("MIGRANTBOT_COORDINATORS"), "Telegram user ids of the coordinators, comma-separated (env MIGRANTBOT_COORDINATORS)")
			fset.StringVar(&cfg.coordChats, "coordinator-chat", env.getenv("MIGRANTBOT_COORDINATOR_CHAT"), "the coordinators' group id, or one per destination: bishkek=-100…,osh=-100…,office=-100… (env MIGRANTBOT_COORDINATOR_CHAT)")
			days, _ := strconv.Atoi(envOr(env, "MIGRANTBOT_RETENTION_DAYS", strconv.Itoa(bot.DefaultRetentionDays)))
			fset.IntVar(&cfg.retention, "retention-days", days, "days personal data of closed referrals and idle sessions is kept (env MIGRANTBOT_RETENTION_DAYS)")
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

// coordinatorSetup reads who the coordinators are and where referrals go.
func (c *config) coordinatorSetup() (bot.Coordinators, error) {
	co := bot.Coordinators{Users: map[int64]bool{}, Chats: map[string]int64{}}
	for _, f := range strings.FieldsFunc(c.coordinators, func(r rune) bool { return r == ',' || r == ' ' }) {
		id, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			return co, usageError{fmt.Sprintf("MIGRANTBOT_COORDINATORS: %q is not a Telegram user id", f)}
		}
		co.Users[id] = true
	}
	for _, f := range strings.Split(c.coordChats, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		dest, chat, named := strings.Cut(f, "=")
		if !named {
			dest, chat = "", f
		}
		id, err := strconv.ParseInt(chat, 10, 64)
		if _, known := bot.DestinationByID(dest); err != nil || (named && !known) {
			return co, usageError{fmt.Sprintf("MIGRANTBOT_COORDINATOR_CHAT: %q: want a chat id, or bishkek=id,osh=id,office=id", f)}
		}
		co.Chats[dest] = id
	}
	if c.retention < 1 {
		return co, usageError{"MIGRANTBOT_RETENTION_DAYS must be at least 1"}
	}
	return co, nil
}

// openBot opens everything the conversation needs and, for a FAQ directory,
// reloads it on every edit until ctx is done; a refused edit is logged and,
// when rejected is set, handed to it. The caller closes the store.
func (c *config) openBot(ctx context.Context, log *slog.Logger, rejected func(error)) (*bot.Bot, *bolt.DB, error) {
	coordinators, err := c.coordinatorSetup()
	if err != nil {
		return nil, nil, err
	}
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
			func(err error) {
				log.Error("FAQ edit rejected; the last good FAQ stays in use", "err", err)
				if rejected != nil {
					rejected(err)
				}
			})
	}
	return bot.New(db, library, tr, log).WithCoordinators(coordinators).WithRetention(c.retention), db, nil
}
