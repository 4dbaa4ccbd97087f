package bot

import (
	"fmt"
	"slices"
	"time"
)

// Referral statuses, in the order a referral moves through them.
const (
	StatusNew       = "new"
	StatusTaken     = "taken"
	StatusContacted = "contacted"
	StatusClosed    = "closed"
)

// Statuses lists every status in order.
var Statuses = []string{StatusNew, StatusTaken, StatusContacted, StatusClosed}

// Destination is an office a referral can go to.
type Destination struct {
	ID string
	// Entry is the FAQ entry with the office's public contacts: what
	// someone who does not agree to have their details kept gets instead.
	Entry string
}

// Destinations are the offices a referral can go to.
var Destinations = []Destination{
	{"bishkek", "centres.bishkek"},
	{"osh", "centres.osh"},
	{"office", "office.contacts"},
}

// DestinationByID returns the destination with the id.
func DestinationByID(id string) (Destination, bool) {
	for _, d := range Destinations {
		if d.ID == id {
			return d, true
		}
	}
	return Destination{}, false
}

// Referral hands a person on to an office. Its personal data (chat,
// description, city, phone) is erased by /forget and by retention; the
// rest stays for statistics.
type Referral struct {
	ID          uint64    `json:"id"`
	ChatID      int64     `json:"chat_id,omitempty"`
	Lang        string    `json:"lang"`
	Source      string    `json:"source,omitempty"` // the user's /start payload
	Destination string    `json:"destination"`
	Topic       string    `json:"topic"`
	Description string    `json:"description,omitempty"`
	City        string    `json:"city,omitempty"`
	Phone       string    `json:"phone,omitempty"` // empty: reach them only through Telegram
	Status      string    `json:"status"`
	Created     time.Time `json:"created"`
	History     []Change  `json:"history"`
	Erased      bool      `json:"erased,omitempty"` // the personal data is gone
	Post        Post      `json:"post,omitempty"`   // the coordinators' post about it
}

// Change is one entry of a referral's history, which is only appended to.
type Change struct {
	Time   time.Time `json:"time"`
	By     int64     `json:"by"` // the coordinator's Telegram id; 0 for the user or the bot
	Status string    `json:"status"`
	Note   string    `json:"note,omitempty"`
}

// Post is a message the bot sent, to edit later.
type Post struct {
	ChatID    int64 `json:"chat_id,omitempty"`
	MessageID int   `json:"message_id,omitempty"`
}

// Number is how people name a referral.
func (r Referral) Number() string { return fmt.Sprintf("R-%06d", r.ID) }

// Erase removes the personal data and keeps what statistics need.
func (r *Referral) Erase(now time.Time, note string) {
	r.ChatID, r.Description, r.City, r.Phone, r.Erased = 0, "", "", "", true
	r.History = append(r.History, Change{Time: now, Status: r.Status, Note: note})
}

// Draft is a referral being filled in, kept in the session.
type Draft struct {
	Step         string    `json:"step"`
	Destination  string    `json:"destination,omitempty"`
	Topic        string    `json:"topic,omitempty"`
	Consent      bool      `json:"consent,omitempty"`
	Description  string    `json:"description,omitempty"`
	City         string    `json:"city,omitempty"`
	Phone        string    `json:"phone,omitempty"`
	OnlyTelegram bool      `json:"only_telegram,omitempty"`
	Updated      time.Time `json:"updated"`
}

// Coordinators are the people who follow referrals up, and where.
type Coordinators struct {
	Users map[int64]bool   // Telegram user ids
	Chats map[string]int64 // destination -> chat the referrals go to; "" for all
}

// Chat is where the referrals for a destination are posted, or 0.
func (c Coordinators) Chat(destination string) int64 {
	if id, ok := c.Chats[destination]; ok {
		return id
	}
	return c.Chats[""]
}

// ChatIDs lists the coordinators' chats, each once, in order.
func (c Coordinators) ChatIDs() []int64 {
	var ids []int64
	for _, id := range c.Chats {
		if id != 0 && !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids
}

// IsChat reports whether a chat is a coordinators' chat.
func (c Coordinators) IsChat(chatID int64) bool {
	return chatID != 0 && slices.Contains(c.ChatIDs(), chatID)
}
