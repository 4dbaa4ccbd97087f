package bot

import (
	"sort"
	"sync/atomic"
	"time"
)

// Entry is one question of the FAQ with its answer in every language.
type Entry struct {
	ID        string
	Topic     string
	Reviewed  time.Time
	Sources   []Source
	Related   []string
	AskPerson bool     // the answer offers to hand the user on to a person
	Offices   []string // offices whose contact card follows the answer
	Text      map[string]EntryText
}

// EntryText is an entry in one language.
type EntryText struct {
	Question string
	Also     []string // other ways people ask the same question
	Answer   string   // Telegram HTML, already rendered from the FAQ's Markdown
}

// Source is where the facts of an answer come from.
type Source struct {
	Title string
	URL   string
}

// Office is a place people can go to: an employment centre, the
// representation, the embassy. A field nobody could verify stays empty, and
// the bot says it is not confirmed: a wrong phone number is worse than none.
type Office struct {
	ID       string
	Phone    string
	Email    string
	Website  string
	Verified time.Time
	Sources  []Source
	Text     map[string]OfficeText
}

// OfficeText is an office in one language.
type OfficeText struct {
	Name    string
	City    string
	Address string
	Hours   string
}

// Topic groups entries under one menu button.
type Topic struct {
	ID      string
	Title   map[string]string
	Entries []string // entry ids in menu order
}

// Catalog is one consistent version of the FAQ.
type Catalog struct {
	Topics  []Topic
	entries map[string]*Entry
	topics  map[string]*Topic
	offices map[string]*Office
}

// NewCatalog indexes topics, entries and offices; the FAQ loader has
// already checked that ids are unique and references resolve.
func NewCatalog(topics []Topic, entries []*Entry, offices []*Office) *Catalog {
	c := &Catalog{Topics: topics, entries: map[string]*Entry{}, topics: map[string]*Topic{}, offices: map[string]*Office{}}
	for _, e := range entries {
		c.entries[e.ID] = e
	}
	for _, o := range offices {
		c.offices[o.ID] = o
	}
	for i := range c.Topics {
		c.topics[c.Topics[i].ID] = &c.Topics[i]
	}
	return c
}

// Entry returns the entry with the id.
func (c *Catalog) Entry(id string) (*Entry, bool) {
	e, ok := c.entries[id]
	return e, ok
}

// Topic returns the topic with the id.
func (c *Catalog) Topic(id string) (*Topic, bool) {
	t, ok := c.topics[id]
	return t, ok
}

// Office returns the office with the id.
func (c *Catalog) Office(id string) (*Office, bool) {
	o, ok := c.offices[id]
	return o, ok
}

// Entries returns every entry, sorted by id.
func (c *Catalog) Entries() []*Entry {
	all := make([]*Entry, 0, len(c.entries))
	for _, e := range c.entries {
		all = append(all, e)
	}
	sort.Slice(all, func(i, j int) bool { return all[i].ID < all[j].ID })
	return all
}

// Band is how sure the matcher is about a typed question.
type Band int

const (
	BandNone    Band = iota // nothing fits: say so honestly and offer a person
	BandSuggest             // a few entries may fit: ask "did you mean"
	BandAnswer              // one entry fits: answer it
)

func (b Band) String() string {
	switch b {
	case BandAnswer:
		return "answer"
	case BandSuggest:
		return "suggest"
	}
	return "none"
}

// Match is what the matcher made of a typed question.
type Match struct {
	Lang string // the language the question was typed in
	Band Band
	Hits []Hit // best first
}

// Hit is an entry and how well it fits, from 0 to 1.
type Hit struct {
	ID    string
	Score float64
}

// Matcher ranks the entries of one catalogue for a typed question; lang is
// the user's language, for when the question's own language is unclear.
type Matcher interface {
	Match(question, lang string) Match
}

// Knowledge is a catalogue together with the matcher built from it.
type Knowledge struct {
	Catalog *Catalog
	Matcher Matcher
}

// Library holds the knowledge in use. A reload swaps it whole, so a reader
// never sees a half-loaded catalogue.
type Library struct {
	current atomic.Pointer[Knowledge]
}

// NewLibrary returns a library holding k.
func NewLibrary(k *Knowledge) *Library {
	l := &Library{}
	l.Set(k)
	return l
}

// Set makes k the knowledge in use.
func (l *Library) Set(k *Knowledge) { l.current.Store(k) }

// Current returns the knowledge in use.
func (l *Library) Current() *Knowledge { return l.current.Load() }
