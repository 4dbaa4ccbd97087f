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
	l := &loader{fsys: fsys, dir: dir, now: now}
	topics := l.topics()
	var entries []*parsedEntry
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			l.errorf(p, 0, "%v", err)
			return nil
		}
		if d.IsDir() || !strings.HasSuffix(p, entryFileSuffix) || p == topicsFile {
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
	l.crossCheck(topics, entries)
	sort.Slice(l.problems, func(i, j int) bool {
		a, b := l.problems[i], l.problems[j]
		if a.File != b.File {
			return a.File < b.File
		}
		return a.Line < b.Line
	})
	if len(Errors(l.problems)) > 0 {
		return nil, l.problems
	}
	return build(topics, entries), l.problems
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
	phrasings    map[string][]phrasing // language -> question and alternates
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

var entryFields = append([]string{"id", "reviewed", "sources", "related", "ask_person"}, bot.Languages...)

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
	e := &parsedEntry{Entry: &bot.Entry{Topic: parts[0], Text: map[string]bot.EntryText{}}, file: file, phrasings: map[string][]phrasing{}}
	e.ID = l.text(file, root, fields, "id")
	e.idLine = root.Line
	if n, ok := fields["id"]; ok {
		e.idLine = n.Line
	}
	if want := parts[0] + "." + strings.TrimSuffix(parts[1], entryFileSuffix); e.ID != "" && e.ID != want {
		l.errorf(file, e.idLine, "id %q does not match the file name: want %q", e.ID, want)
	}

	if reviewed := l.text(file, root, fields, "reviewed"); reviewed != "" {
		t, err := time.Parse("2006-01-02", reviewed)
		switch {
		case err != nil:
			l.errorf(file, fields["reviewed"].Line, "reviewed %q is not a date like 2026-11-01", reviewed)
		case t.After(l.now):
			l.errorf(file, fields["reviewed"].Line, "reviewed %s is in the future", reviewed)
		case l.now.Sub(t) > reviewMaxAge:
			l.warnf(file, fields["reviewed"].Line, "reviewed %s is more than 6 months ago: check the facts again", reviewed)
		}
		e.Reviewed = t
	}

	if n, ok := fields["sources"]; !ok || n.Kind != yaml.SequenceNode || len(n.Content) == 0 {
		l.errorf(file, root.Line, "no sources: list where the facts come from (- title: ..., url: ...)")
	} else {
		for _, s := range n.Content {
			sf := l.fields(file, s, []string{"title", "url"})
			if sf == nil {
				continue
			}
			// A source may lack a url (a printed article, a page whose address
			// is not known in full), never a title.
			src := bot.Source{Title: l.text(file, s, sf, "title")}
			if u, ok := sf["url"]; ok {
				src.URL = strings.TrimSpace(u.Value)
				if !strings.HasPrefix(src.URL, "https://") && !strings.HasPrefix(src.URL, "http://") {
					l.errorf(file, u.Line, "source url %q must start with https:// or http://", src.URL)
				}
			}
			e.Sources = append(e.Sources, src)
		}
	}

	if n, ok := fields["related"]; ok {
		e.Related, e.relatedLines = l.strings(file, n)
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
func (l *loader) crossCheck(topics []*parsedTopic, entries []*parsedEntry) {
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

// build makes the catalogue: each topic lists the entries topics.yaml names,
// in that order, then the other entries of its folder by id.
func build(topics []*parsedTopic, entries []*parsedEntry) *bot.Catalog {
	var all []*bot.Entry
	byTopic := map[string][]string{}
	for _, e := range entries {
		all = append(all, e.Entry)
		byTopic[e.Topic] = append(byTopic[e.Topic], e.ID)
	}
	var ts []bot.Topic
	for _, t := range topics {
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
	return bot.NewCatalog(ts, all)
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
