package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"regexp"
	"sync/atomic"
	"time"

	"migrantbot/internal/bot"
	"migrantbot/internal/telegram"
)

// webhookSecret is what Telegram allows in secret_token.
var webhookSecret = regexp.MustCompile(`^[A-Za-z0-9_-]{16,256}$`)

func runRun(ctx context.Context, env *environment, args []string) error {
	var cfg config
	fset := newFlags(env, "run", "[flags]", `Serve the bot in Telegram: long polling by default, a webhook when
MIGRANTBOT_WEBHOOK_URL is set. /healthz answers on MIGRANTBOT_LISTEN in both modes.
SIGINT or SIGTERM stops it within 3 seconds; nothing handled is lost.`, &cfg, "db", "faq", "telegram", "referrals")
	if err := parseFlags(env, fset, args); err != nil {
		return err
	}
	switch {
	case cfg.token == "":
		return usageError{"no token: set TELEGRAM_BOT_TOKEN (from @BotFather), or try the bot with `migrantbot chat`"}
	case cfg.webhookURL != "" && !webhookSecret.MatchString(cfg.secret):
		return usageError{"a webhook needs MIGRANTBOT_WEBHOOK_SECRET: 16 to 256 characters of A-Z, a-z, 0-9, _ and -"}
	}
	log := slog.New(slog.NewJSONHandler(env.stderr, nil))
	// A refused FAQ edit is told to the coordinators once the transport runs.
	var b *bot.Bot
	var tr *telegram.Transport
	var ready atomic.Bool
	b, db, err := cfg.openBot(ctx, log, func(err error) {
		if ready.Load() {
			for _, r := range b.Notice("FAQRejected", map[string]any{"Errors": err.Error()}) {
				tr.Deliver(r)
			}
		}
	})
	if err != nil {
		return err
	}
	defer db.Close()
	coordinators, _ := cfg.coordinatorSetup() // checked by openBot
	tr, err = telegram.New(telegram.Config{
		Token: cfg.token, Endpoint: cfg.endpoint, PollTimeout: cfg.pollTimeout, Drain: 1500 * time.Millisecond,
		GroupChats: coordinators.ChatIDs(), RetentionDays: cfg.retention,
	}, b, db, log)
	if err != nil {
		return err
	}
	ready.Store(true)
	stopAdmin, err := serveAdmin(db, cfg.adminListen, cfg.adminToken, cfg.db, log)
	if err != nil {
		return err
	}
	defer stopAdmin()
	ln, err := net.Listen("tcp", cfg.listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.listen, err)
	}
	srv := &http.Server{ReadHeaderTimeout: 10 * time.Second}
	serve := func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("HTTP server stopped", "err", err)
		}
	}
	defer func() {
		shutdown, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		srv.Shutdown(shutdown)
	}()

	if cfg.webhookURL == "" {
		srv.Handler = tr.HealthHandler()
		go serve()
		log.Info("migrantbot is running", "mode", "polling", "bot", tr.Username(), "health", ln.Addr().String())
		err := tr.Poll(ctx)
		log.Info("migrantbot stopped")
		return err
	}
	wh := telegram.Webhook{URL: cfg.webhookURL, Secret: cfg.secret}
	handler, drain, err := tr.WebhookHandler(ctx, wh)
	if err != nil {
		return err
	}
	srv.Handler = handler
	go serve()
	if err := tr.RegisterWebhook(ctx, wh); err != nil {
		drain()
		return err
	}
	log.Info("migrantbot is running", "mode", "webhook", "bot", tr.Username(), "listen", ln.Addr().String())
	<-ctx.Done()
	// Take no more updates, then let the replies already handled go out.
	shutdown, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	srv.Shutdown(shutdown)
	drain()
	log.Info("migrantbot stopped")
	return nil
}
