package telegram

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
	"migrantbot/internal/bot"
)

// maxMessageRunes is Telegram's limit for one message.
const maxMessageRunes = 4096

// chatIdle is how long a chat's sending goroutine waits for more before it ends.
const chatIdle = 30 * time.Second

// Rate is a token bucket: one message every Every, up to Burst at once.
type Rate struct {
	Every time.Duration
	Burst int
}

// bucket is a token bucket; safe for concurrent use.
type bucket struct {
	mu     sync.Mutex
	rate   Rate
	tokens float64
	last   time.Time
}

func newBucket(r Rate) *bucket { return &bucket{rate: r, tokens: float64(r.Burst), last: time.Now()} }

// wait takes a token, waiting for one if needed; false if ctx ended first.
func (b *bucket) wait(ctx context.Context) bool {
	for {
		b.mu.Lock()
		now := time.Now()
		b.tokens = min(float64(b.rate.Burst), b.tokens+float64(now.Sub(b.last))/float64(b.rate.Every))
		b.last = now
		if b.tokens >= 1 {
			b.tokens--
			b.mu.Unlock()
			return true
		}
		need := time.Duration((1 - b.tokens) * float64(b.rate.Every))
		b.mu.Unlock()
		select {
		case <-ctx.Done():
			return false
		case <-time.After(need):
		}
	}
}

// sender delivers replies: one goroutine per chat with something to send,
// so that a chat's messages keep their order and one chat's rate limit does
// not hold up another's.
type sender struct {
	t        *Transport
	global   *bucket
	mu       sync.Mutex
	queues   map[int64]chan queued
	pending  int             // replies queued or being sent
	inFlight map[uint64]bool // outbox ids queued or being sent
	blocked  map[int64]bool
}

type queued struct {
	ctx   context.Context
	reply bot.Reply
}

func newSender(t *Transport) *sender {
	return &sender{t: t, global: newBucket(t.cfg.Global), queues: map[int64]chan queued{}, inFlight: map[uint64]bool{}, blocked: map[int64]bool{}}
}

// enqueue hands a reply to its chat's goroutine, starting one if needed;
// a reply from the outbox that is already on its way is not sent twice.
func (s *sender) enqueue(ctx context.Context, r bot.Reply) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r.ID != 0 {
		if s.inFlight[r.ID] {
			return
		}
		s.inFlight[r.ID] = true
	}
	q, ok := s.queues[r.ChatID]
	if !ok {
		q = make(chan queued, 256)
		s.queues[r.ChatID] = q
		go s.run(r.ChatID, q)
	}
	s.pending++
	q <- queued{ctx, r} // under the lock, so the goroutine cannot end in between
}

func (s *sender) run(chatID int64, q chan queued) {
	perChat := newBucket(s.t.cfg.PerChat)
	idle := time.NewTimer(chatIdle)
	defer idle.Stop()
	for {
		select {
		case item := <-q:
			s.deliver(item.ctx, perChat, item.reply)
			s.mu.Lock()
			s.pending--
			delete(s.inFlight, item.reply.ID)
			s.mu.Unlock()
			idle.Reset(chatIdle)
		case <-idle.C:
			s.mu.Lock()
			if len(q) == 0 {
				delete(s.queues, chatID)
				s.mu.Unlock()
				return
			}
			s.mu.Unlock()
			idle.Reset(chatIdle)
		}
	}
}

// wait returns when no reply is queued or being sent.
func (s *sender) wait() {
	for {
		s.mu.Lock()
		busy := s.pending
		s.mu.Unlock()
		if busy == 0 {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// deliver sends a reply, split to Telegram's size, and takes it out of the
// outbox once it is sent or can never be.
func (s *sender) deliver(ctx context.Context, perChat *bucket, r bot.Reply) {
	if ctx.Err() != nil {
		return // shutting down: it stays in the outbox for the next run
	}
	s.mu.Lock()
	blocked := s.blocked[r.ChatID]
	s.mu.Unlock()
	var err error
	if !blocked {
		err = s.send(ctx, perChat, r)
	}
	switch {
	case ctx.Err() != nil && err != nil:
		return // interrupted: it stays in the outbox
	case isForbidden(err):
		s.block(ctx, r.ChatID)
	case isFinal(err):
		s.t.log.Error("Telegram refused a reply; dropping it", "chat_id", r.ChatID, "err", redact(err.Error(), s.t.cfg.Token))
	case err != nil:
		// Telegram or the network is down: it stays in the outbox and is
		// tried again later.
		s.t.log.Warn("a reply could not be delivered yet", "chat_id", r.ChatID, "err", redact(err.Error(), s.t.cfg.Token))
		return
	}
	if r.ID != 0 {
		if err := s.t.store.Delivered(context.WithoutCancel(ctx), r.ID); err != nil {
			s.t.log.Error("removing a delivered reply from the outbox failed", "err", err)
		}
	}
}

// send makes the calls a reply needs: a new message (split to Telegram's
// size), an edit of an earlier one, or a document.
func (s *sender) send(ctx context.Context, perChat *bucket, r bot.Reply) error {
	if !perChat.wait(ctx) {
		return ctx.Err()
	}
	switch {
	case r.Edit.MessageID != 0:
		edit := tgbotapi.NewEditMessageText(r.Edit.ChatID, r.Edit.MessageID, r.Text)
		edit.ParseMode = tgbotapi.ModeHTML
		edit.DisableWebPagePreview = true
		if len(r.Buttons) > 0 {
			kb := keyboard(r.Buttons)
			edit.ReplyMarkup = &kb
		}
		_, err := s.t.call(ctx, edit)
		if isNotModified(err) {
			return nil // the post already says this
		}
		return err
	case r.Document != nil:
		doc := tgbotapi.NewDocument(r.ChatID, tgbotapi.FileBytes{Name: r.Document.Name, Bytes: r.Document.Data})
		doc.Caption, doc.ParseMode = r.Text, tgbotapi.ModeHTML
		_, err := s.t.call(ctx, doc)
		return err
	}
	parts := split(r.Text, maxMessageRunes)
	for i, part := range parts {
		msg := tgbotapi.NewMessage(r.ChatID, part)
		msg.ParseMode = tgbotapi.ModeHTML
		msg.DisableWebPagePreview = true
		last := i == len(parts)-1
		switch {
		case last && len(r.Buttons) > 0:
			msg.ReplyMarkup = keyboard(r.Buttons)
		case last && r.AskContact != "":
			kb := tgbotapi.NewReplyKeyboard(tgbotapi.NewKeyboardButtonRow(tgbotapi.NewKeyboardButtonContact(r.AskContact)))
			kb.OneTimeKeyboard, kb.ResizeKeyboard = true, true
			msg.ReplyMarkup = kb
		case last && r.HideContact:
			msg.ReplyMarkup = tgbotapi.NewRemoveKeyboard(false)
		}
		if i > 0 && !perChat.wait(ctx) {
			return ctx.Err()
		}
		resp, err := s.t.call(ctx, msg)
		if err != nil {
			return err
		}
		if last && r.PostFor != 0 {
			s.recordPost(ctx, r.PostFor, resp)
		}
	}
	return nil
}

// recordPost remembers where the coordinators' post about a referral went,
// so that status changes edit it.
func (s *sender) recordPost(ctx context.Context, referral uint64, resp *tgbotapi.APIResponse) {
	var m tgbotapi.Message
	if err := json.Unmarshal(resp.Result, &m); err != nil || m.Chat == nil {
		s.t.log.Warn("the coordinators' post answer has no message", "referral", referral)
		return
	}
	if err := s.t.store.SetReferralPost(context.WithoutCancel(ctx), referral, bot.Post{ChatID: m.Chat.ID, MessageID: m.MessageID}); err != nil {
		s.t.log.Error("recording the coordinators' post failed", "referral", referral, "err", err)
	}
}

func isNotModified(err error) bool {
	var apiErr *tgbotapi.Error
	return errors.As(err, &apiErr) && strings.Contains(apiErr.Message, "message is not modified")
}

// block stops sending to a user who blocked the bot, until they write again.
func (s *sender) block(ctx context.Context, chatID int64) {
	s.mu.Lock()
	s.blocked[chatID] = true
	s.mu.Unlock()
	if err := s.t.store.MarkBlocked(context.WithoutCancel(ctx), chatID); err != nil {
		s.t.log.Error("marking a chat blocked failed", "chat_id", chatID, "err", err)
	}
	s.t.log.Info("user blocked the bot; not sending to them", "chat_id", chatID)
}

func (s *sender) unblock(chatID int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.blocked, chatID)
}

func (s *sender) answerCallback(ctx context.Context, id string) {
	if _, err := s.t.call(ctx, tgbotapi.NewCallback(id, "")); err != nil {
		s.t.log.Warn("answering a button press failed", "err", redact(err.Error(), s.t.cfg.Token))
	}
}

func keyboard(rows [][]bot.Button) tgbotapi.InlineKeyboardMarkup {
	var kb [][]tgbotapi.InlineKeyboardButton
	for _, row := range rows {
		var r []tgbotapi.InlineKeyboardButton
		for _, b := range row {
			r = append(r, tgbotapi.NewInlineKeyboardButtonData(b.Label, b.Data))
		}
		kb = append(kb, r)
	}
	return tgbotapi.NewInlineKeyboardMarkup(kb...)
}

// call makes one Bot API call within the global rate, retrying what may
// pass later: 429 after retry_after, 5xx and network errors with a growing
// wait, a bounded number of times. Other errors (400, 403) are final.
func (t *Transport) call(ctx context.Context, c tgbotapi.Chattable) (*tgbotapi.APIResponse, error) {
	var err error
	for attempt := 0; attempt < t.cfg.MaxAttempts; attempt++ {
		if !t.sender.global.wait(ctx) {
			return nil, ctx.Err()
		}
		var resp *tgbotapi.APIResponse
		resp, err = t.api.Request(c)
		if err == nil {
			return resp, nil
		}
		var apiErr *tgbotapi.Error
		switch {
		case ctx.Err() != nil:
			return nil, err
		case errors.As(err, &apiErr) && apiErr.Code == http.StatusTooManyRequests:
			sleep(ctx, time.Duration(max(apiErr.RetryAfter, 1))*time.Second)
		case isFinal(err):
			return nil, err
		default: // 5xx, a page that is not JSON, or the network
			sleep(ctx, t.cfg.Backoff<<attempt)
		}
	}
	return nil, err
}

// isFinal: an error that sending again would not mend (a 4xx).
func isFinal(err error) bool {
	var apiErr *tgbotapi.Error
	return errors.As(err, &apiErr) && apiErr.Code >= 400 && apiErr.Code < 500 && apiErr.Code != http.StatusTooManyRequests
}

func isForbidden(err error) bool {
	var apiErr *tgbotapi.Error
	return errors.As(err, &apiErr) && apiErr.Code == http.StatusForbidden
}

// split cuts text into messages of at most limit characters: at paragraph
// breaks where it can, then at line breaks, then anywhere outside a tag.
func split(text string, limit int) []string {
	if utf8.RuneCountInString(text) <= limit {
		return []string{text}
	}
	var parts []string
	for _, sep := range []string{"\n\n", "\n"} {
		if cut := lastCut(text, sep, limit); cut > 0 {
			return append(append(parts, text[:cut]), split(strings.TrimLeft(text[cut:], "\n"), limit)...)
		}
	}
	cut := runeOffset(text, limit)
	if open := strings.LastIndexByte(text[:cut], '<'); open > strings.LastIndexByte(text[:cut], '>') {
		cut = open // do not cut inside a tag
	}
	return append(append(parts, text[:cut]), split(text[cut:], limit)...)
}

// lastCut is the byte offset of the last sep that leaves at most limit
// characters before it, or 0.
func lastCut(text, sep string, limit int) int {
	head := text[:runeOffset(text, limit)]
	return max(strings.LastIndex(head, sep), 0)
}

func runeOffset(s string, n int) int {
	for i := range s {
		if n == 0 {
			return i
		}
		n--
	}
	return len(s)
}
