// Package telegram serves the conversation in Telegram: long polling or a
// webhook in, rate-limited and retried messages out. It is the only package
// that imports the Telegram library.
//
// Nothing is lost or done twice across a crash: an update's effects and its
// replies are committed in one transaction by the core before the update is
// confirmed to Telegram; replies wait in the store's outbox until they are
// delivered; an update delivered again is recognised by its id.
package telegram

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
	"migrantbot/internal/bot"
)

// Handler is the conversation: *bot.Bot.
type Handler interface {
	Handle(ctx context.Context, ev bot.Event) ([]bot.Reply, error)
	Commands(lang string) []bot.Command
}

// Store is what the transport keeps: *bolt.DB.
type Store interface {
	Outbox(ctx context.Context) ([]bot.Reply, error)
	Delivered(ctx context.Context, replyID uint64) error
	Offset(ctx context.Context, transport string) (int, error)
	SetOffset(ctx context.Context, transport string, offset int) error
	MarkBlocked(ctx context.Context, chatID int64) error
	PruneHandled(ctx context.Context, before time.Time) (int, error)
	SetReferralPost(ctx context.Context, id uint64, post bot.Post) error
	Retain(ctx context.Context, now time.Time, days int) (referrals, sessions int, err error)
}

// Config is how the transport talks to Telegram.
type Config struct {
	Token    string
	Endpoint string // the Bot API, "http://host:port/bot%s/%s"; empty: Telegram's

	PollTimeout time.Duration // how long one getUpdates waits for updates
	Workers     int           // updates of different chats handled at once
	Drain       time.Duration // on shutdown, how long replies may still go out

	PerChat Rate // messages to one chat
	Global  Rate // messages to all chats together

	MaxAttempts int           // tries of one call on 429, 5xx or a network error
	Backoff     time.Duration // the first wait after a 5xx or network error; doubles

	// GroupChats are the coordinators' groups; the bot ignores every other group.
	GroupChats []int64
	// RetentionDays: personal data of closed referrals and idle sessions
	// older than this is erased once a day; 0 keeps everything.
	RetentionDays int
}

// Defaults for the Bot API's documented limits.
func (c *Config) withDefaults() {
	if c.Endpoint == "" {
		c.Endpoint = tgbotapi.APIEndpoint
	}
	if c.PollTimeout == 0 {
		c.PollTimeout = 25 * time.Second
	}
	if c.Workers == 0 {
		c.Workers = 100 // as many as one getUpdates returns
	}
	if c.Drain == 0 {
		c.Drain = 2 * time.Second
	}
	if c.PerChat.Every == 0 {
		c.PerChat = Rate{Every: time.Second, Burst: 3}
	}
	if c.Global.Every == 0 {
		c.Global = Rate{Every: time.Second / 30, Burst: 30}
	}
	if c.MaxAttempts == 0 {
		c.MaxAttempts = 5
	}
	if c.Backoff == 0 {
		c.Backoff = 500 * time.Millisecond
	}
}

// emptyPollPause is the pause after an empty getUpdates that came back early.
const emptyPollPause = 250 * time.Millisecond

// transportName keys the polling offset in the store.
const transportName = "telegram"

// handledKeep is how long update ids are remembered: Telegram keeps an
// unconfirmed update for 24 hours.
const handledKeep = 48 * time.Hour

// Transport is a running Telegram bot.
type Transport struct {
	cfg     Config
	handler Handler
	store   Store
	log     *slog.Logger
	api     *tgbotapi.BotAPI
	client  *contextClient
	sender  *sender

	lastPoll atomic.Int64 // unix nanoseconds of the last answered getUpdates
	sendCtx  atomic.Pointer[context.Context]

	chatLocks sync.Map // chat id -> *sync.Mutex: one chat's updates in order
}

// New connects to the Bot API (getMe), which also checks the token.
func New(cfg Config, handler Handler, store Store, log *slog.Logger) (*Transport, error) {
	cfg.withDefaults()
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.MaxIdleConnsPerHost = 100 // every call goes to one host: keep connections for reuse
	client := &contextClient{
		http: &http.Client{Timeout: cfg.PollTimeout + 15*time.Second, Transport: transport},
		poll: context.Background(), send: context.Background(),
	}
	api, err := tgbotapi.NewBotAPIWithClient(cfg.Token, cfg.Endpoint, client)
	if err != nil {
		return nil, fmt.Errorf("connect to Telegram: %s", redact(err.Error(), cfg.Token))
	}
	t := &Transport{cfg: cfg, handler: handler, store: store, log: log, api: api, client: client}
	t.sender = newSender(t)
	return t, nil
}

// Deliver sends a message the conversation did not make in answer to an
// update (a notice to the coordinators); before the bot runs it is dropped.
func (t *Transport) Deliver(r bot.Reply) {
	if ctx := t.sendCtx.Load(); ctx != nil {
		t.sender.enqueue(*ctx, r)
	}
}

// Username is the bot's Telegram username.
func (t *Transport) Username() string { return t.api.Self.UserName }

// contextClient gives the library's requests a context: getUpdates the
// polling one, so that shutdown interrupts a long poll at once; everything
// else the sending one, which lives on while replies drain.
type contextClient struct {
	http       *http.Client
	mu         sync.Mutex
	poll, send context.Context
}

func (c *contextClient) Do(r *http.Request) (*http.Response, error) {
	c.mu.Lock()
	ctx := c.send
	if strings.HasSuffix(r.URL.Path, "/getUpdates") {
		ctx = c.poll
	}
	c.mu.Unlock()
	return c.http.Do(r.WithContext(ctx))
}

func (c *contextClient) set(poll, send context.Context) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.poll, c.send = poll, send
}

// start prepares a run: the command menus, and the replies a previous run
// left undelivered. It returns the sending context and a function that ends
// it after the drain time once ctx is done.
func (t *Transport) start(ctx context.Context) (context.Context, func()) {
	send, cancel := context.WithCancel(context.WithoutCancel(ctx))
	t.sendCtx.Store(&send)
	t.client.set(ctx, send)
	go t.setCommands(send) // in the background: retries must not hold up the first update
	if n, err := t.store.PruneHandled(ctx, time.Now().Add(-handledKeep)); err != nil {
		t.log.Warn("pruning old update ids failed", "err", err)
	} else if n > 0 {
		t.log.Info("pruned old update ids", "count", n)
	}
	mark := t.resend(send, math.MaxUint64)
	go func() {
		tick := time.NewTicker(resendEvery)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				mark = t.resend(send, mark)
			}
		}
	}()
	go t.retain(ctx)
	return send, func() {
		// Let replies already handled go out for a moment, then stop.
		done := make(chan struct{})
		go func() { t.sender.wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(t.cfg.Drain):
		}
		cancel()
		t.sender.wait()
	}
}

// resendEvery is how often replies that could not be delivered are tried again.
const resendEvery = 30 * time.Second

// resend queues the outbox's replies with ids up to mark: those a previous
// run left, and those Telegram could not take when first sent. Replies newer
// than mark may still be on their way from the update that made them, so
// they wait for the next round. It returns the next round's mark.
func (t *Transport) resend(ctx context.Context, mark uint64) uint64 {
	pending, err := t.store.Outbox(ctx)
	if err != nil {
		t.log.Error("reading undelivered replies failed", "err", err)
		return mark
	}
	var next uint64
	queued := 0
	for _, r := range pending {
		next = max(next, r.ID)
		if r.ID <= mark {
			t.sender.enqueue(ctx, r)
			queued++
		}
	}
	if queued > 0 {
		t.log.Info("sending undelivered replies", "count", queued)
	}
	return next
}

// retain erases old personal data now and once a day.
func (t *Transport) retain(ctx context.Context) {
	if t.cfg.RetentionDays <= 0 {
		return
	}
	for {
		referrals, sessions, err := t.store.Retain(ctx, time.Now(), t.cfg.RetentionDays)
		if err != nil {
			t.log.Error("erasing old personal data failed", "err", err)
		} else if referrals+sessions > 0 {
			t.log.Info("erased old personal data", "referrals", referrals, "sessions", sessions)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(24 * time.Hour):
		}
	}
}

// setCommands sets the command menu in each language; a failure only costs
// the menu, so it is logged, not fatal.
func (t *Transport) setCommands(ctx context.Context) {
	for _, lang := range bot.Languages {
		var cmds []tgbotapi.BotCommand
		for _, c := range t.handler.Commands(lang) {
			cmds = append(cmds, tgbotapi.BotCommand{Command: c.Name, Description: c.Description})
		}
		cfg := tgbotapi.NewSetMyCommandsWithScopeAndLanguage(tgbotapi.NewBotCommandScopeDefault(), lang, cmds...)
		if _, err := t.call(ctx, cfg); err != nil {
			t.log.Warn("setting the command menu failed", "lang", lang, "err", redact(err.Error(), t.cfg.Token))
		}
	}
}

// Poll serves updates by long polling until ctx is done. An update is
// confirmed to Telegram (the offset moves past it) only after the core has
// committed it, and the next batch is fetched only when this one is.
func (t *Transport) Poll(ctx context.Context) error {
	send, stop := t.start(ctx)
	defer stop()
	offset, err := t.store.Offset(ctx, transportName)
	if err != nil {
		return fmt.Errorf("read the polling offset: %w", err)
	}
	t.lastPoll.Store(time.Now().UnixNano())
	failures := 0
	for ctx.Err() == nil {
		asked := time.Now()
		updates, last, err := t.getUpdates(offset)
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			failures++
			wait := t.pollBackoff(err, failures)
			t.log.Warn("getUpdates failed", "err", redact(err.Error(), t.cfg.Token), "retry_in", wait)
			sleep(ctx, wait)
			continue
		}
		failures = 0
		t.lastPoll.Store(time.Now().UnixNano())
		if last < offset {
			if time.Since(asked) < t.cfg.PollTimeout/2 {
				// An empty answer long before the timeout: a server that does
				// not long-poll. Pause instead of asking in a busy loop.
				sleep(ctx, emptyPollPause)
			}
			continue
		}
		t.handleBatch(send, updates)
		offset = last + 1
		if err := t.store.SetOffset(send, transportName, offset); err != nil {
			t.log.Error("saving the polling offset failed", "err", err)
		}
	}
	return nil
}

// getUpdates asks for the updates from offset on and decodes each one by
// itself: one update the library cannot read is logged and skipped rather
// than failing the whole batch again and again. last is the highest update
// id received, read or not.
func (t *Transport) getUpdates(offset int) (updates []tgbotapi.Update, last int, err error) {
	resp, err := t.api.Request(tgbotapi.UpdateConfig{
		Offset: offset, Limit: 100, Timeout: int(t.cfg.PollTimeout / time.Second),
		AllowedUpdates: []string{"message", "callback_query", "my_chat_member"},
	})
	if err != nil {
		return nil, 0, err
	}
	var raw []json.RawMessage
	if err := json.Unmarshal(resp.Result, &raw); err != nil {
		return nil, 0, fmt.Errorf("getUpdates answered something that is not a list: %w", err)
	}
	last = offset - 1
	for _, r := range raw {
		var id struct {
			UpdateID int `json:"update_id"`
		}
		json.Unmarshal(r, &id)
		last = max(last, id.UpdateID)
		var u tgbotapi.Update
		if err := json.Unmarshal(r, &u); err != nil {
			t.log.Warn("update", "update_id", id.UpdateID, "outcome", "malformed", "err", err)
			continue
		}
		updates = append(updates, u)
	}
	return updates, last, nil
}

// pollBackoff is how long to wait after a failed getUpdates.
func (t *Transport) pollBackoff(err error, failures int) time.Duration {
	var apiErr *tgbotapi.Error
	if errors.As(err, &apiErr) {
		switch apiErr.Code {
		case http.StatusTooManyRequests:
			return time.Duration(max(apiErr.RetryAfter, 1)) * time.Second
		case http.StatusConflict: // a webhook is set, or another process polls
			t.log.Error("Telegram refuses polling: a webhook is set or another bot process is polling", "err", apiErr.Message)
		case http.StatusUnauthorized:
			t.log.Error("Telegram refuses the token")
		}
	}
	return min(t.cfg.Backoff<<min(failures, 6), 30*time.Second)
}

// handleBatch handles updates, different chats at once and each chat's in
// order, and returns when every update is committed.
func (t *Transport) handleBatch(ctx context.Context, updates []tgbotapi.Update) {
	byChat := map[int64][]tgbotapi.Update{}
	var order []int64
	for _, u := range updates {
		chat := chatOf(u)
		if _, ok := byChat[chat]; !ok {
			order = append(order, chat)
		}
		byChat[chat] = append(byChat[chat], u)
	}
	slots := make(chan struct{}, t.cfg.Workers)
	var wg sync.WaitGroup
	for _, chat := range order {
		slots <- struct{}{}
		wg.Add(1)
		go func(list []tgbotapi.Update) {
			defer func() { <-slots; wg.Done() }()
			for _, u := range list {
				t.handleUpdate(ctx, u)
			}
		}(byChat[chat])
	}
	wg.Wait()
}

func chatOf(u tgbotapi.Update) int64 {
	switch {
	case u.Message != nil && u.Message.Chat != nil:
		return u.Message.Chat.ID
	case u.CallbackQuery != nil && u.CallbackQuery.From != nil:
		return u.CallbackQuery.From.ID
	case u.MyChatMember != nil:
		return u.MyChatMember.Chat.ID
	}
	return 0
}

// handleUpdate handles one update and hands its replies to the sender. It
// returns an error only when the update could not be committed.
func (t *Transport) handleUpdate(ctx context.Context, u tgbotapi.Update) (handleErr error) {
	start := time.Now()
	ev, ok := t.event(u)
	outcome := "ok"
	defer func() {
		// No single update may take the bot down.
		if p := recover(); p != nil {
			outcome = "panic"
			t.log.Error("handling an update panicked", "update_id", u.UpdateID, "panic", fmt.Sprint(p))
		}
		// One line per update; never the text, which may be personal.
		t.log.Info("update", "update_id", u.UpdateID, "chat_id", ev.ChatID, "kind", kindName(u, ev),
			"latency_ms", float64(time.Since(start).Microseconds())/1000, "outcome", outcome)
	}()
	if cq := u.CallbackQuery; cq != nil {
		// Every button press is answered, or the user's button keeps spinning.
		defer t.sender.answerCallback(ctx, cq.ID)
	}
	if m := u.MyChatMember; m != nil && m.NewChatMember.Status == "kicked" {
		outcome = "blocked"
		t.sender.block(ctx, m.Chat.ID)
		return nil
	}
	if !ok {
		outcome = "ignored"
		return nil
	}
	lock := t.chatLock(ev.ChatID)
	lock.Lock()
	defer lock.Unlock()
	t.sender.unblock(ev.ChatID)
	replies, err := t.handler.Handle(ctx, ev)
	switch {
	case err != nil:
		// Nothing was committed; the polite line the core returned goes out
		// directly (it is not in the outbox), and the error is for the log.
		outcome, handleErr = "error", err
		t.log.Error("handling an update failed", "update_id", u.UpdateID, "err", err)
	case replies == nil:
		outcome = "duplicate"
	}
	for _, r := range replies {
		t.sender.enqueue(ctx, r)
	}
	return handleErr
}

func (t *Transport) chatLock(chatID int64) *sync.Mutex {
	l, _ := t.chatLocks.LoadOrStore(chatID, &sync.Mutex{})
	return l.(*sync.Mutex)
}

// event turns an update into the core's event; false for updates the bot
// does not answer: groups other than the coordinators', channels, edits.
func (t *Transport) event(u tgbotapi.Update) (bot.Event, bool) {
	id := fmt.Sprintf("tg:%d", u.UpdateID)
	if cq := u.CallbackQuery; cq != nil {
		if cq.From == nil {
			return bot.Event{}, false
		}
		ev := bot.Event{ID: id, ChatID: cq.From.ID, UserID: cq.From.ID, Kind: bot.EventButton, Data: cq.Data, LanguageHint: cq.From.LanguageCode}
		if m := cq.Message; m != nil && m.Chat != nil && m.Chat.Type != "private" {
			ev.ChatID = m.Chat.ID
			return ev, slices.Contains(t.cfg.GroupChats, m.Chat.ID)
		}
		return ev, true
	}
	m := u.Message
	if m == nil || m.Chat == nil {
		return bot.Event{}, false
	}
	ev := bot.Event{ID: id, ChatID: m.Chat.ID, Kind: bot.EventOther}
	if m.From != nil {
		ev.UserID, ev.LanguageHint = m.From.ID, m.From.LanguageCode
	}
	// A command is read from its text, with or without Telegram's entity
	// (a forwarded command, or a client that omits it, has none).
	name, payload, isCommand := bot.ParseCommand(m.Text)
	switch {
	case isCommand:
		ev.Kind, ev.Text, ev.Data = bot.EventCommand, name, payload
	case m.Contact != nil && m.From != nil && m.Contact.UserID == m.From.ID:
		ev.Kind, ev.Data = bot.EventContact, m.Contact.PhoneNumber // only their own number
	case m.Text != "":
		ev.Kind, ev.Text = bot.EventText, m.Text
	}
	if m.Chat.Type != "private" {
		// In the coordinators' groups only commands count; chatter is not for the bot.
		return ev, slices.Contains(t.cfg.GroupChats, m.Chat.ID) && ev.Kind == bot.EventCommand
	}
	return ev, true
}

func kindName(u tgbotapi.Update, ev bot.Event) string {
	switch {
	case u.MyChatMember != nil:
		return "chat_member"
	case u.CallbackQuery != nil:
		return "button"
	case u.Message == nil:
		return "other"
	case ev.Kind == bot.EventCommand:
		return "command"
	case ev.Kind == bot.EventText:
		return "text"
	case ev.Kind == bot.EventContact:
		return "contact"
	}
	return "non_text"
}

// LastPoll is when getUpdates last answered, for the health check.
func (t *Transport) LastPoll() time.Time { return time.Unix(0, t.lastPoll.Load()) }

// redact removes the token from a message: the library puts it in URLs.
func redact(s, token string) string {
	if token == "" {
		return s
	}
	return strings.ReplaceAll(s, token, "<token>")
}

// sleep waits for d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}
