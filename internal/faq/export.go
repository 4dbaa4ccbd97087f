package faq

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"slices"
	"sort"
	"strings"
	"time"
)

// Record is one entry in one language, as staff review translations.
type Record struct {
	ID         string   `json:"id"`
	Topic      string   `json:"topic"`
	Lang       string   `json:"lang"`
	Question   string   `json:"question"`
	Alternates []string `json:"alternates"`
	Answer     string   `json:"answer"` // as staff wrote it, in the FAQ's Markdown
	Reviewed   string   `json:"reviewed"`
	Sources    []string `json:"sources"` // "title <url>"
}

// Records reads every entry of the FAQ in the given languages, sorted by id
// and then language. It refuses a FAQ with errors, as the bot does.
func Records(fsys fs.FS, dir string, langs []string, now time.Time) ([]Record, error) {
	p := read(fsys, dir, now)
	if err := Err(p.problems); err != nil {
		return nil, err
	}
	entries := slices.Clone(p.entries)
	sort.Slice(entries, func(i, j int) bool { return entries[i].ID < entries[j].ID })
	var records []Record
	for _, e := range entries {
		var sources []string
		for _, s := range e.Sources {
			if s.URL != "" {
				sources = append(sources, s.Title+" <"+s.URL+">")
			} else {
				sources = append(sources, s.Title)
			}
		}
		for _, lang := range langs {
			records = append(records, Record{
				ID: e.ID, Topic: e.Topic, Lang: lang,
				Question: e.Text[lang].Question, Alternates: e.Text[lang].Also,
				Answer: e.markdown[lang], Reviewed: e.Reviewed.Format("2006-01-02"), Sources: sources,
			})
		}
	}
	return records, nil
}

// WriteJSON writes records as one indented JSON array.
func WriteJSON(w io.Writer, records []Record) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(records)
}

// WriteCSV writes records for a spreadsheet. The byte-order mark and CRLF
// line ends make Excel read the Cyrillic text as UTF-8.
func WriteCSV(w io.Writer, records []Record) error {
	if _, err := io.WriteString(w, "\uFEFF"); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	cw.Write([]string{"id", "topic", "lang", "question", "alternates", "answer", "reviewed", "sources"})
	for _, r := range records {
		cw.Write([]string{r.ID, r.Topic, r.Lang, r.Question, strings.Join(r.Alternates, " | "), r.Answer, r.Reviewed, strings.Join(r.Sources, "; ")})
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	return nil
}
