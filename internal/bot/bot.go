// Package bot is the conversation core of migrantbot: events in, replies out.
// It knows nothing of Telegram, the terminal or bbolt; adapters around it do.
// The whole dialog (commands, buttons, steps) is in dialog.go.
package bot

import (
	"context"
	"fmt"
	"html"
	"log/slog"
	"time"
)

// Languages the bot speaks, in the order they are offered.
const (
	Kyrgyz  = "ky"
	Russian = "ru"
)

// Languages lists every language an entry, button and message must exist in.
var Languages = []string{Kyrgyz, Russian}

// EventKind says what the user did.
type EventKind int

const (
	EventText    EventKind = iota // a typed message
	EventCommand                  // /command payload
	EventButton                   // a button press with its data
	EventContact                  // the user shared their own phone number (in Data)
	EventOther                    // a sticker, photo, voice...: nothing the bot reads
)

// Event is one thing a user did, as a transport saw it.
type Event struct {
	// ID is the transport's id of the event when the transport delivers
	// events again after a crash (Telegram's update id); the bot then
	// handles each id once and keeps its replies until they are delivered.
	ID     string
	ChatID int64
	// UserID is who acted: in a private chat the chat itself, in the
	// coordinators' group the coordinator.
	UserID int64
	Kind   EventKind
	// Text is the typed text, or the command name without the slash.
	Text string
	// Data is the command payload (/start osh_centre) or the button data.
	Data string
	// LanguageHint is the user's interface language as the transport knows it
	// (Telegram's language_code); empty when unknown.
	LanguageHint string
}

// Reply is one message to send. Text is in the Telegram HTML subset
// (<b>, <i>, <a href>, everything else escaped); transports that cannot
// show HTML turn it into plain text.
type Reply struct {
	ID      uint64 // the store's id for the reply while it waits to be delivered; 0 if not kept
	ChatID  int64
	Text    string
	Buttons [][]Button
	// Edit, when set, replaces that earlier message instead of sending a new one.
	Edit Post `json:"edit,omitempty"`
	// PostFor marks the coordinators' post about a referral: the transport
	// records where it went, so that status changes can edit it.
	PostFor uint64 `json:"post_for,omitempty"`
	// AskContact, when set, is the label of a button that shares the user's
	// phone number; HideContact takes that button away again.
	AskContact  string `json:"ask_contact,omitempty"`
	HideContact bool   `json:"hide_contact,omitempty"`
	// Document is a file sent with the message (Text is its caption).
	Document *Document `json:"document,omitempty"`
}

// Document is a file to send.
type Document struct {
	Name string `json:"name"`
	Data []byte `json:"data"`
}

// Button is a button under a message; pressing it sends Data back as an EventButton.
type Button struct {
	Label string
	Data  string
}

// Session is what the bot remembers about one chat.
type Session struct {
	ChatID    int64     `json:"chat_id"`
	Lang      string    `json:"lang,omitempty"`
	Step      string    `json:"step,omitempty"`
	Source    string    `json:"source,omitempty"`
	FirstSeen time.Time `json:"first_seen"`
	LastSeen  time.Time `json:"last_seen"`
	// Blocked: the user blocked the bot, so nothing is sent until they write again.
	Blocked bool `json:"blocked,omitempty"`
	// Draft is a referral being filled in.
	Draft *Draft `json:"draft,omitempty"`
}

// Turn is what one event changed: the session, referrals, and the replies
// to send. The store saves a turn whole or not at all.
type Turn struct {
	EventID   string // empty when the transport does not deliver events again
	Session   Session
	Forget    bool       // delete the session and erase the user's referrals
	Referrals []Referral // created or changed
	Counts    []string   // counters for statistics, such as "band:answer"
	Replies   []Reply
}

// ReferralFilter selects referrals; zero fields select all.
type ReferralFilter struct {
	ChatID      int64
	Statuses    []string
	Destination string
	Since       time.Time
}

// Stats is what /stats tells coordinators about a period.
type Stats struct {
	Users     map[string]int // "lang:ky", "source:osh_centre": users first seen in the period
	Counts    map[string]int // counters of the period: "band:answer", "entry:stay.patent"...
	Referrals map[string]int // "destination:osh", "status:new"
}

// Question is a typed question the bot could not answer outright, kept for
// staff to see what the FAQ lacks. It holds no user id.
type Question struct {
	ID          uint64    `json:"-"`
	Text        string    `json:"text"`
	Lang        string    `json:"lang"`
	Band        string    `json:"band"`
	Suggestions []string  `json:"suggestions,omitempty"`
	Picked      string    `json:"picked,omitempty"` // the suggestion the user chose
	Time        time.Time `json:"time"`
}

// Store keeps sessions and the questions log. Implementations must make
// every write durable before returning.
type Store interface {
	Session(ctx context.Context, chatID int64) (s Session, found bool, err error)
	// SaveTurn saves a turn in one transaction: the session, and for an
	// event with an id, that it was handled and its replies, which wait
	// there until delivered. It returns the ids of the kept replies.
	SaveTurn(ctx context.Context, t Turn) (replyIDs []uint64, err error)
	// Handled reports whether the event with this id was handled already.
	Handled(ctx context.Context, eventID string) (bool, error)
	LogQuestion(ctx context.Context, q Question) (id uint64, err error)
	// ReserveReferralID takes the next referral id, so that the reply that
	// tells it can be saved in the same turn as the referral.
	ReserveReferralID(ctx context.Context) (uint64, error)
	Referral(ctx context.Context, id uint64) (Referral, bool, error)
	Referrals(ctx context.Context, f ReferralFilter) ([]Referral, error)
	Stats(ctx context.Context, since time.Time) (Stats, error)
	// PickSuggestion records that a user chose entry among the suggestions
	// of question id; a choice that was not offered, or a second one, is ignored.
	PickSuggestion(ctx context.Context, id uint64, entry string) error
}

// Translator gives the user-facing text of a message id in a language.
type Translator interface {
	Text(lang, id string, data map[string]any) string
}

// Bot runs the conversation.
type Bot struct {
	store        Store
	library      *Library
	tr           Translator
	log          *slog.Logger
	now          func() time.Time
	coordinators Coordinators
	retention    int // days personal data of closed referrals is kept
}

// New returns a bot over a store, the current knowledge and the locale messages.
func New(store Store, library *Library, tr Translator, log *slog.Logger) *Bot {
	return &Bot{store: store, library: library, tr: tr, log: log, now: time.Now, retention: DefaultRetentionDays}
}

// DefaultRetentionDays is how long personal data of closed referrals, and
// sessions of users who stopped writing, are kept.
const DefaultRetentionDays = 180

// WithClock sets where the bot reads the time.
func (b *Bot) WithClock(now func() time.Time) *Bot {
	b.now = now
	return b
}

// WithRetention sets how many days personal data is kept.
func (b *Bot) WithRetention(days int) *Bot {
	b.retention = days
	return b
}

// WithCoordinators sets who follows referrals up, and where.
func (b *Bot) WithCoordinators(c Coordinators) *Bot {
	b.coordinators = c
	return b
}

// Handle answers one event. The session change is saved before Handle returns,
// so a transport that sends the replies afterwards never reports something
// the bot has not remembered. On an internal error the replies hold a polite
// line for the user and the error carries the detail for the log.
func (b *Bot) Handle(ctx context.Context, ev Event) (replies []Reply, err error) {
	if ev.ID != "" {
		done, err := b.store.Handled(ctx, ev.ID)
		if err != nil {
			return b.failure(ev.ChatID, ""), fmt.Errorf("check event: %w", err)
		}
		if done {
			return nil, nil // delivered again after a restart: its replies wait in the store
		}
	}
	s, found, err := b.store.Session(ctx, ev.ChatID)
	if err != nil {
		return b.failure(ev.ChatID, ""), fmt.Errorf("load session: %w", err)
	}
	now := b.now()
	if !found {
		s = Session{ChatID: ev.ChatID, FirstSeen: now}
	}
	defer func() {
		// One bad update must not take the bot down: a panic becomes an error.
		if p := recover(); p != nil {
			replies, err = b.failure(ev.ChatID, s.Lang), fmt.Errorf("panic handling %v event: %v", ev.Kind, p)
		}
	}()
	c := &conversation{ctx: ctx, bot: b, ev: ev, s: &s, know: b.library.Current(), now: now}
	if err := c.handle(); err != nil {
		return b.failure(ev.ChatID, s.Lang), err
	}
	s.LastSeen = now
	s.Blocked = false // they wrote, so they have not blocked the bot
	ids, err := b.store.SaveTurn(ctx, Turn{EventID: ev.ID, Session: s, Forget: c.forget, Referrals: c.referrals, Counts: c.counts, Replies: c.replies})
	if err != nil {
		return b.failure(ev.ChatID, s.Lang), fmt.Errorf("save turn: %w", err)
	}
	for i := range ids {
		c.replies[i].ID = ids[i]
	}
	return c.replies, nil
}

func (b *Bot) failure(chatID int64, lang string) []Reply {
	if lang == "" {
		lang = defaultLanguage
	}
	return []Reply{{ChatID: chatID, Text: html.EscapeString(b.tr.Text(lang, "Failure", nil))}}
}
