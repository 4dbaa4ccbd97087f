// Package faq reads the knowledge base that staff edit: topics.yaml and one
// YAML file per entry, both languages side by side. Every problem is reported
// as file:line so that a person can fix it without a programmer.
package faq

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
	"migrantbot/internal/bot"
)

// Limits the checks hold answers to.
const (
	maxAnswerChars  = 4096 // Telegram's limit for one message
	minAlternates   = 5    // fewer and typed questions are missed
	reviewMaxAge    = 6 * 30 * 24 * time.Hour
	topicsFile      = "topics.yaml"
	officesFile     = "offices.yaml"
	entryFileSuffix = ".yaml"
)

// Problem is something wrong in the FAQ files.
type Problem struct {
	File    string
	Line    int
	Message string
	Warning bool // the FAQ still loads, but a person should look
}

func (p Problem) String() string {
	if p.Warning {
		return fmt.Sprintf("%s:%d: warning: %s", p.File, p.Line, p.Message)
	}
	return fmt.Sprintf("%s:%d: %s", p.File, p.Line, p.Message)
}

// Errors returns the problems that stop the FAQ from loading.
func Errors(problems []Problem) []Problem {
	var errs []Problem
	for _, p := range problems {
		if !p.Warning {
			errs = append(errs, p)
		}
	}
	return errs
}

// Err is the errors among problems as one error, or nil.
func Err(problems []Problem) error {
	errs := Errors(problems)
	if len(errs) == 0 {
		return nil
	}
	lines := make([]string, len(errs))
	for i, p := range errs {
		lines[i] = p.String()
	}
	return fmt.Errorf("the FAQ has %d error(s): %s", len(errs), strings.Join(lines, "; "))
}

// Load reads the FAQ from fsys; dir is how files are named in problems.
// The catalogue is nil when any problem is an error: a FAQ is used whole or
// not at all.
func Load(fsys fs.FS, dir string, now time.Time) (*bot.Catalog, []Problem) {
	p := read(fsys, dir, now)
	if len(Errors(p.problems)) > 0 {
		return nil, p.problems
	}
	return p.catalog(), p.problems
}

// parsed is everything read from the FAQ files, problems included.
type parsed struct {
	topics   []*parsedTopic
	entries  []*parsedEntry
	offices  []*parsedOffice
	problems []Problem
}

func read(fsys fs.FS, dir string, now time.Time) *parsed {
	l := &loader{fsys: fsys, dir: dir, now: now}
	topics := l.topics()
	offices := l.offices()
	var entries []*parsedEntry
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			l.errorf(p, 0, "%v", err)
			return nil
		}
		if d.IsDir() || !strings.HasSuffix(p, entryFileSuffix) || p == topicsFile || p == officesFile {
			return nil
		}
		if e := l.entry(p); e != nil {
			entries = append(entries, e)
		}
		return nil
	})
	if err != nil {
		l.errorf(".", 0, "%v", err)
	}
	l.crossCheck(topics, entries, offices)
	sort.Slice(l.problems, func(i, j int) bool {
		a, b := l.problems[i], l.problems[j]
		if a.File != b.File {
			return a.File < b.File
		}
		return a.Line < b.Line
	})
	return &parsed{topics: topics, entries: entries, offices: offices, problems: l.problems}
}

type loader struct {
	fsys     fs.FS
	dir      string
	now      time.Time
	problems []Problem
}

func (l *loader) errorf(file string, line int, format string, args ...any) {
	l.problems = append(l.problems, Problem{File: path.Join(l.dir, file), Line: line, Message: fmt.Sprintf(format, args...)})
}

func (l *loader) warnf(file string, line int, format string, args ...any) {
	l.problems = append(l.problems, Problem{File: path.Join(l.dir, file), Line: line, Message: fmt.Sprintf(format, args...), Warning: true})
}

type parsedTopic struct {
	bot.Topic
	line        int
	entryLines  []int
	explicitIDs []string
}

type parsedEntry struct {
	*bot.Entry
	file         string
	idLine       int
	relatedLines []int
	officeLines  []int
	phrasings    map[string][]phrasing // language -> question and alternates
	markdown     map[string]string     // language -> the answer as staff wrote it
}

type parsedOffice struct {
	*bot.Office
	line int
}

type phrasing struct {
	text string
	line int
}

// topics reads topics.yaml: a list of {id, ky, ru, entries}.
func (l *loader) topics() []*parsedTopic {
	root := l.parse(topicsFile)
	if root == nil {
		return nil
	}
	if root.Kind != yaml.SequenceNode {
		l.errorf(topicsFile, root.Line, "topics.yaml is a list of topics (- id: ..., ky: ..., ru: ..., entries: [...])")
		return nil
	}
	var topics []*parsedTopic
	seen := map[string]int{}
	for _, n := range root.Content {
		fields := l.fields(topicsFile, n, append([]string{"id", "entries"}, bot.Languages...))
		if fields == nil {
			continue
		}
		t := &parsedTopic{line: n.Line, Topic: bot.Topic{Title: map[string]string{}}}
		t.ID = l.text(topicsFile, n, fields, "id")
		if first, dup := seen[t.ID]; dup && t.ID != "" {
			l.errorf(topicsFile, n.Line, "topic %q is listed twice (first at line %d)", t.ID, first)
			continue
		}
		seen[t.ID] = n.Line
		for _, lang := range bot.Languages {
			t.Title[lang] = l.text(topicsFile, n, fields, lang)
		}
		if list, ok := fields["entries"]; ok {
			t.explicitIDs, t.entryLines = l.strings(topicsFile, list)
		}
		topics = append(topics, t)
	}
	return topics
}

// offices reads offices.yaml, if there is one: a list of offices whose
// unknown fields stay empty.
func (l *loader) offices() []*parsedOffice {
	if _, err := fs.Stat(l.fsys, officesFile); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	root := l.parse(officesFile)
	if root == nil {
		return nil
	}
	if root.Kind != yaml.SequenceNode {
		l.errorf(officesFile, root.Line, "offices.yaml is a list of offices (- id: ..., ky: {name: ..., city: ...}, ...)")
		return nil
	}
	var offices []*parsedOffice
	for _, n := range root.Content {
		fields := l.fields(officesFile, n, append([]string{"id", "phone", "email", "website", "verified", "sources"}, bot.Languages...))
		if fields == nil {
			continue
		}
		o := &parsedOffice{line: n.Line, Office: &bot.Office{Text: map[string]bot.OfficeText{}}}
		o.ID = l.text(officesFile, n, fields, "id")
		o.Phone = l.optional(officesFile, fields, "phone", phonePattern, "a phone number like +996 312 123456")
		o.Email = l.optional(officesFile, fields, "email", emailPattern, "an e-mail address")
		o.Website = l.optional(officesFile, fields, "website", urlPattern, "an address starting with https:// or http://")
		o.Verified = l.date(officesFile, n, fields, "verified")
		o.Sources = l.sources(officesFile, n, fields)
		for _, lang := range bot.Languages {
			ln, ok := fields[lang]
			if !ok {
				l.errorf(officesFile, n.Line, "office %q: language %q is missing", o.ID, lang)
				continue
			}
			lf := l.fields(officesFile, ln, []string{"name", "city", "address", "hours"})
			if lf == nil {
				continue
			}
			o.Text[lang] = bot.OfficeText{
				Name:    l.text(officesFile, ln, lf, "name"),
				City:    l.text(officesFile, ln, lf, "city"),
				Address: l.optional(officesFile, lf, "address", nil, ""),
				Hours:   l.optional(officesFile, lf, "hours", nil, ""),
			}
		}
		offices = append(offices, o)
	}
	return offices
}

var (
	phonePattern = regexp.MustCompile(`^\+?[0-9][0-9 ()-]{2,20}$`)
	emailPattern = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[a-z]{2,}$`)
	urlPattern   = regexp.MustCompile(`^https?://\S+$`)
)

var entryFields = append([]string{"id", "reviewed", "sources", "related", "ask_person", "offices"}, bot.Languages...)

func (l *loader) entry(file string) *parsedEntry {
	parts := strings.Split(file, "/")
	if len(parts) != 2 {
		l.errorf(file, 1, "an entry file belongs in <topic>/<name>.yaml")
		return nil
	}
	root := l.parse(file)
	if root == nil {
		return nil
	}
	fields := l.fields(file, root, entryFields)
	if fields == nil {
		return nil
	}
	e := &parsedEntry{Entry: &bot.Entry{Topic: parts[0], Text: map[string]bot.EntryText{}}, file: file,
		phrasings: map[string][]phrasing{}, markdown: map[string]string{}}
	e.ID = l.text(file, root, fields, "id")
	e.idLine = root.Line
	if n, ok := fields["id"]; ok {
		e.idLine = n.Line
	}
	if want := parts[0] + "." + strings.TrimSuffix(parts[1], entryFileSuffix); e.ID != "" && e.ID != want {
		l.errorf(file, e.idLine, "id %q does not match the file name: want %q", e.ID, want)
	}

	e.Reviewed = l.date(file, root, fields, "reviewed")
	e.Sources = l.sources(file, root, fields)
	if n, ok := fields["related"]; ok {
		e.Related, e.relatedLines = l.strings(file, n)
	}
	if n, ok := fields["offices"]; ok {
		e.Offices, e.officeLines = l.strings(file, n)
	}
	if n, ok := fields["ask_person"]; ok {
		if err := n.Decode(&e.AskPerson); err != nil {
			l.errorf(file, n.Line, "ask_person must be true or false")
		}
	}

	for _, lang := range bot.Languages {
		n, ok := fields[lang]
		if !ok {
			l.errorf(file, root.Line, "language %q is missing: every entry needs %s", lang, strings.Join(bot.Languages, " and "))
			continue
		}
		e.Text[lang] = l.language(file, lang, n, e)
	}
	return e
}

// language reads one language's question, alternates and answer.
func (l *loader) language(file, lang string, n *yaml.Node, e *parsedEntry) bot.EntryText {
	var t bot.EntryText
	fields := l.fields(file, n, []string{"question", "also", "answer"})
	if fields == nil {
		return t
	}
	t.Question = l.text(file, n, fields, "question")
	if t.Question != "" {
		e.phrasings[lang] = append(e.phrasings[lang], phrasing{t.Question, fields["question"].Line})
	}
	if also, ok := fields["also"]; ok {
		var lines []int
		t.Also, lines = l.strings(file, also)
		for i, a := range t.Also {
			e.phrasings[lang] = append(e.phrasings[lang], phrasing{a, lines[i]})
		}
	}
	if len(t.Also) < minAlternates {
		line := n.Line
		if also, ok := fields["also"]; ok {
			line = also.Line
		}
		l.warnf(file, line, "%s: %d alternate phrasings (also:), want at least %d as people would type them", lang, len(t.Also), minAlternates)
	}
	md := l.text(file, n, fields, "answer")
	if md == "" {
		return t
	}
	e.markdown[lang] = md
	a := fields["answer"]
	first := a.Line
	if a.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
		first++ // a block's text starts on the line after | or >
	}
	rendered, err := Render(md)
	var me *MarkupError
	switch {
	case errors.As(err, &me):
		l.errorf(file, first+me.Line-1, "%s: answer: %s", lang, me.Msg)
	case err != nil:
		l.errorf(file, a.Line, "%s: answer: %v", lang, err)
	case visibleLength(rendered) > maxAnswerChars:
		l.errorf(file, a.Line, "%s: answer is %d characters once rendered; Telegram allows %d", lang, visibleLength(rendered), maxAnswerChars)
	}
	t.Answer = rendered
	return t
}

// crossCheck finds what no single file shows: duplicate ids, references to
// entries that do not exist, topics without a folder and the other way round.
func (l *loader) crossCheck(topics []*parsedTopic, entries []*parsedEntry, offices []*parsedOffice) {
	officeIDs := map[string]bool{}
	for _, o := range offices {
		if officeIDs[o.ID] {
			l.errorf(officesFile, o.line, "office %q is listed twice", o.ID)
		}
		officeIDs[o.ID] = true
	}
	byID := map[string]*parsedEntry{}
	for _, e := range entries {
		if e.ID == "" {
			continue
		}
		if first, dup := byID[e.ID]; dup {
			l.errorf(e.file, e.idLine, "duplicate id %q (also in %s:%d)", e.ID, path.Join(l.dir, first.file), first.idLine)
			continue
		}
		byID[e.ID] = e
	}
	topicIDs := map[string]bool{}
	for _, t := range topics {
		topicIDs[t.ID] = true
		for i, id := range t.explicitIDs {
			if e, ok := byID[id]; !ok {
				l.errorf(topicsFile, t.entryLines[i], "topic %q lists entry %q, which does not exist", t.ID, id)
			} else if e.Topic != t.ID {
				l.errorf(topicsFile, t.entryLines[i], "topic %q lists entry %q, whose file is in %s/", t.ID, id, e.Topic)
			}
		}
	}
	seenPhrase := map[string]string{} // language + normalised phrasing -> entry id
	for _, e := range entries {
		if !topicIDs[e.Topic] && len(topics) > 0 {
			l.errorf(e.file, 1, "folder %q is not a topic in topics.yaml", e.Topic)
		}
		for i, id := range e.Related {
			if _, ok := byID[id]; !ok {
				l.errorf(e.file, e.relatedLines[i], "related entry %q does not exist", id)
			}
		}
		for i, id := range e.Offices {
			if !officeIDs[id] {
				l.errorf(e.file, e.officeLines[i], "office %q is not in offices.yaml", id)
			}
		}
		for _, lang := range bot.Languages {
			for _, p := range e.phrasings[lang] {
				key := lang + "\x00" + strings.ToLower(strings.Join(strings.Fields(p.text), " "))
				if other, dup := seenPhrase[key]; dup && other != e.ID {
					l.warnf(e.file, p.line, "%s: %q is also a phrasing of %s: the bot cannot tell them apart", lang, p.text, other)
				}
				seenPhrase[key] = e.ID
			}
		}
	}
}

// catalog makes the catalogue: each topic lists the entries topics.yaml
// names, in that order, then the other entries of its folder by id.
func (p *parsed) catalog() *bot.Catalog {
	var all []*bot.Entry
	byTopic := map[string][]string{}
	for _, e := range p.entries {
		all = append(all, e.Entry)
		byTopic[e.Topic] = append(byTopic[e.Topic], e.ID)
	}
	var ts []bot.Topic
	for _, t := range p.topics {
		t.Entries = slices.Clone(t.explicitIDs)
		rest := byTopic[t.ID]
		sort.Strings(rest)
		for _, id := range rest {
			if !slices.Contains(t.Entries, id) {
				t.Entries = append(t.Entries, id)
			}
		}
		ts = append(ts, t.Topic)
	}
	var offices []*bot.Office
	for _, o := range p.offices {
		offices = append(offices, o.Office)
	}
	return bot.NewCatalog(ts, all, offices)
}

var yamlLine = regexp.MustCompile(`line (\d+): (.*)`)

// parse reads a YAML file into its root node, or reports why it cannot.
func (l *loader) parse(file string) *yaml.Node {
	data, err := fs.ReadFile(l.fsys, file)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			l.errorf(file, 0, "file is missing")
		} else {
			l.errorf(file, 0, "%v", err)
		}
		return nil
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		for _, msg := range strings.Split(strings.TrimPrefix(err.Error(), "yaml: "), "\n") {
			if m := yamlLine.FindStringSubmatch(msg); m != nil {
				line, _ := strconv.Atoi(m[1])
				l.errorf(file, line, "invalid YAML: %s", m[2])
			} else if msg = strings.TrimSpace(msg); msg != "" && !strings.HasPrefix(msg, "unmarshal errors") {
				l.errorf(file, 1, "invalid YAML: %s", msg)
			}
		}
		return nil
	}
	if len(doc.Content) == 0 {
		l.errorf(file, 1, "file is empty")
		return nil
	}
	return doc.Content[0]
}

// fields returns a mapping's values by key, reporting keys it does not know.
func (l *loader) fields(file string, n *yaml.Node, known []string) map[string]*yaml.Node {
	if n.Kind != yaml.MappingNode {
		l.errorf(file, n.Line, "expected fields (%s), found %s", strings.Join(known, ", "), describe(n))
		return nil
	}
	fields := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, val := n.Content[i], n.Content[i+1]
		if !slices.Contains(known, key.Value) {
			l.errorf(file, key.Line, "unknown field %q (known here: %s)", key.Value, strings.Join(known, ", "))
			continue
		}
		fields[key.Value] = val
	}
	return fields
}

// text is a required single-line or block text field.
func (l *loader) text(file string, parent *yaml.Node, fields map[string]*yaml.Node, key string) string {
	n, ok := fields[key]
	if !ok {
		l.errorf(file, parent.Line, "%s is missing", key)
		return ""
	}
	if n.Kind != yaml.ScalarNode {
		l.errorf(file, n.Line, "%s must be text, found %s", key, describe(n))
		return ""
	}
	s := strings.TrimSpace(n.Value)
	if s == "" {
		l.errorf(file, n.Line, "%s is empty", key)
	}
	return s
}

// optional is a text field that may be missing or empty; when pattern is
// given, a value must match it.
func (l *loader) optional(file string, fields map[string]*yaml.Node, key string, pattern *regexp.Regexp, want string) string {
	n, ok := fields[key]
	if !ok {
		return ""
	}
	if n.Kind != yaml.ScalarNode {
		l.errorf(file, n.Line, "%s must be text, found %s", key, describe(n))
		return ""
	}
	s := strings.TrimSpace(n.Value)
	if s != "" && pattern != nil && !pattern.MatchString(s) {
		l.errorf(file, n.Line, "%s %q must be %s (leave it empty when it is not known)", key, s, want)
	}
	return s
}

// date is a required YYYY-MM-DD date that says when a person checked the
// facts: never in the future, and a warning when it is old.
func (l *loader) date(file string, parent *yaml.Node, fields map[string]*yaml.Node, key string) time.Time {
	s := l.text(file, parent, fields, key)
	if s == "" {
		return time.Time{}
	}
	line := fields[key].Line
	t, err := time.Parse("2006-01-02", s)
	switch {
	case err != nil:
		l.errorf(file, line, "%s %q is not a date like 2026-11-01", key, s)
	case t.After(l.now):
		l.errorf(file, line, "%s %s is in the future", key, s)
	case l.now.Sub(t) > reviewMaxAge:
		l.warnf(file, line, "%s %s is more than 6 months ago: check the facts again", key, s)
	}
	return t
}

// sources reads the list of where facts come from. A source may lack a url
// (a printed article, a page whose address is not known in full), never a
// title.
func (l *loader) sources(file string, parent *yaml.Node, fields map[string]*yaml.Node) []bot.Source {
	n, ok := fields["sources"]
	if !ok || n.Kind != yaml.SequenceNode || len(n.Content) == 0 {
		l.errorf(file, parent.Line, "no sources: list where the facts come from (- title: ..., url: ...)")
		return nil
	}
	var list []bot.Source
	for _, s := range n.Content {
		sf := l.fields(file, s, []string{"title", "url"})
		if sf == nil {
			continue
		}
		src := bot.Source{Title: l.text(file, s, sf, "title")}
		src.URL = l.optional(file, sf, "url", urlPattern, "an address starting with https:// or http://")
		list = append(list, src)
	}
	return list
}

// strings reads a list of texts and the line of each.
func (l *loader) strings(file string, n *yaml.Node) ([]string, []int) {
	if n.Kind != yaml.SequenceNode {
		l.errorf(file, n.Line, "expected a list ([a, b] or lines starting with -), found %s", describe(n))
		return nil, nil
	}
	var list []string
	var lines []int
	for _, item := range n.Content {
		if item.Kind != yaml.ScalarNode || strings.TrimSpace(item.Value) == "" {
			l.errorf(file, item.Line, "list items must be non-empty text")
			continue
		}
		list = append(list, strings.TrimSpace(item.Value))
		lines = append(lines, item.Line)
	}
	return list, lines
}

func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "fields"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return fmt.Sprintf("%q", n.Value)
	}
	return "nothing"
}
