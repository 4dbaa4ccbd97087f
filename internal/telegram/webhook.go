package telegram

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// maxUpdateBytes caps a webhook request: an update is a few kilobytes.
const maxUpdateBytes = 1 << 20

// Webhook is how Telegram reaches a bot that does not poll.
type Webhook struct {
	URL    string // public https address Telegram posts updates to
	Secret string // Telegram sends it back in X-Telegram-Bot-Api-Secret-Token
}

// RegisterWebhook tells Telegram where to post updates, with the secret
// token (a parameter the library does not know, so it goes in raw).
func (t *Transport) RegisterWebhook(ctx context.Context, wh Webhook) error {
	params := tgbotapi.Params{"url": wh.URL, "secret_token": wh.Secret}
	params.AddNonEmpty("allowed_updates", `["message","callback_query","my_chat_member"]`)
	if _, err := t.api.MakeRequest("setWebhook", params); err != nil {
		return fmt.Errorf("set the webhook: %s", redact(err.Error(), t.cfg.Token))
	}
	return nil
}

// WebhookHandler serves updates posted by Telegram at the webhook URL's
// path until ctx is done. An update is answered 200 once the core has
// committed it (a few milliseconds); its replies go out afterwards. A
// request without the secret is refused; one that cannot be committed gets
// 500, so that Telegram posts it again.
func (t *Transport) WebhookHandler(ctx context.Context, wh Webhook) (http.Handler, func(), error) {
	u, err := url.Parse(wh.URL)
	if err != nil || u.Path == "" {
		return nil, nil, fmt.Errorf("webhook URL %q: want an address with a path, like https://example.org/telegram", wh.URL)
	}
	send, stop := t.start(ctx)
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+u.Path, func(w http.ResponseWriter, r *http.Request) {
		got := r.Header.Get("X-Telegram-Bot-Api-Secret-Token")
		if subtle.ConstantTimeCompare([]byte(got), []byte(wh.Secret)) != 1 {
			http.Error(w, "forbidden", http.StatusForbidden)
			return
		}
		var update tgbotapi.Update
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxUpdateBytes)).Decode(&update); err != nil {
			http.Error(w, "bad update", http.StatusBadRequest)
			return
		}
		if err := t.handleUpdate(send, update); err != nil {
			http.Error(w, "try again", http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
	mux.HandleFunc("GET /healthz", t.health("webhook"))
	return mux, stop, nil
}

// HealthHandler serves /healthz for a polling bot.
func (t *Transport) HealthHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", t.health("polling"))
	return mux
}

// health answers 200 while the bot works: in polling mode, while getUpdates
// answered within two poll timeouts.
func (t *Transport) health(mode string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		status := http.StatusOK
		if mode == "polling" && time.Since(t.LastPoll()) > 2*t.cfg.PollTimeout+10*time.Second {
			status = http.StatusServiceUnavailable
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(map[string]any{"mode": mode, "ok": status == http.StatusOK, "last_poll": t.LastPoll().UTC().Format(time.RFC3339)})
	}
}
