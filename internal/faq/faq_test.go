package faq_test

import (
	"strings"
	"testing"
	"testing/fstest"
	"time"

	faqfiles "migrantbot/faq"
	"migrantbot/internal/bot"
	"migrantbot/internal/faq"
)

var today = time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)

const topics = `- id: stay
  ky: Жүрүү
  ru: Пребывание
  entries: [stay.a]
`

// entry is a valid entry file; cases below break one thing at a time.
const entry = `id: stay.a
reviewed: 2026-11-01
sources:
  - title: Закон
    url: https://example.org/law
related: [stay.b]
ky:
  question: Каттоо керекпи?
  also: [бир, эки, үч, төрт, беш]
  answer: |
    **Ооба.** Каттоо керек.
ru:
  question: Нужна ли регистрация?
  also: [один, два, три, четыре, пять]
  answer: |
    **Да.** Нужна.
`

const other = `id: stay.b
reviewed: 2026-11-01
sources: [{title: Закон}]
ky:
  question: Экинчи суроо?
  also: [а, б, в, г, д]
  answer: Жооп.
ru:
  question: Второй вопрос?
  also: [а, б, в, г, д]
  answer: Ответ.
`

func load(files map[string]string) (*bot.Catalog, []faq.Problem) {
	fsys := fstest.MapFS{}
	for name, data := range files {
		fsys[name] = &fstest.MapFile{Data: []byte(data)}
	}
	return faq.Load(fsys, "faq", today)
}

const offices = `- id: centre
  phone: "+996 312 000000"
  verified: 2026-11-01
  sources: [{title: Приказ}]
  ky: {name: Борбор, city: Бишкек, address: ""}
  ru: {name: Центр, city: Бишкек, address: ""}
`

func valid() map[string]string {
	return map[string]string{"topics.yaml": topics, "offices.yaml": offices, "stay/a.yaml": entry, "stay/b.yaml": other}
}

func TestValidFAQLoads(t *testing.T) {
	cat, problems := load(valid())
	if len(problems) > 0 {
		t.Fatalf("problems: %v", problems)
	}
	e, ok := cat.Entry("stay.a")
	if !ok {
		t.Fatal("stay.a missing")
	}
	if got := e.Text["ru"].Answer; got != "<b>Да.</b> Нужна." {
		t.Errorf("answer = %q", got)
	}
	if e.Topic != "stay" || e.Reviewed.Format("2006-01-02") != "2026-11-01" || len(e.Sources) != 1 || e.Related[0] != "stay.b" {
		t.Errorf("entry = %+v", e)
	}
	o, ok := cat.Office("centre")
	if !ok || o.Phone != "+996 312 000000" || o.Text["ru"].Name != "Центр" || o.Text["ky"].Address != "" || o.Website != "" {
		t.Errorf("office = %+v", o)
	}
	if got := cat.Topics[0].Entries; strings.Join(got, ",") != "stay.a,stay.b" {
		t.Errorf("topic order %v: listed first, then the rest", got)
	}
}

func TestEachCheckReportsFileAndLine(t *testing.T) {
	cases := []struct {
		name  string
		file  string // which file to replace
		data  string
		want  string
		warns bool // only a warning: the FAQ still loads
	}{
		{"invalid yaml", "stay/a.yaml", strings.Replace(entry, "question: Каттоо керекпи?", "question: Мөөнөт: 30 күнбү?", 1),
			"faq/stay/a.yaml:8: invalid YAML: mapping values are not allowed in this context", false},
		{"duplicate id", "stay/b.yaml", strings.Replace(other, "id: stay.b", "id: stay.a", 1),
			`faq/stay/b.yaml:1: id "stay.a" does not match the file name: want "stay.b"`, false},
		{"missing language", "stay/a.yaml", entry[:strings.Index(entry, "ru:")],
			`faq/stay/a.yaml:1: language "ru" is missing`, false},
		{"empty question", "stay/a.yaml", strings.Replace(entry, "question: Нужна ли регистрация?", "question: \"\"", 1),
			"faq/stay/a.yaml:13: question is empty", false},
		{"related does not exist", "stay/a.yaml", strings.Replace(entry, "related: [stay.b]", "related: [stay.nope]", 1),
			`faq/stay/a.yaml:6: related entry "stay.nope" does not exist`, false},
		{"no sources", "stay/a.yaml", strings.Replace(entry, "sources:\n  - title: Закон\n    url: https://example.org/law\n", "", 1),
			"faq/stay/a.yaml:1: no sources", false},
		{"source without title", "stay/a.yaml", strings.Replace(entry, "  - title: Закон\n    url:", "  - url:", 1),
			"faq/stay/a.yaml:4: title is missing", false},
		{"bad source url", "stay/a.yaml", strings.Replace(entry, "https://example.org/law", "example.org/law", 1),
			`faq/stay/a.yaml:5: url "example.org/law" must be an address starting with https://`, false},
		{"answer too long", "stay/a.yaml", strings.Replace(entry, "**Да.** Нужна.", strings.Repeat("Да. ", 1100), 1),
			"faq/stay/a.yaml:15: ru: answer is 4399 characters once rendered; Telegram allows 4096", false},
		{"unsupported markup", "stay/a.yaml", strings.Replace(entry, "**Да.** Нужна.", "**Да.**\n    # Заголовок", 1),
			"faq/stay/a.yaml:17: ru: answer: headings (#) are not supported", false},
		{"unclosed bold", "stay/a.yaml", strings.Replace(entry, "**Ооба.** Каттоо керек.", "**Ооба. Каттоо керек.", 1),
			"faq/stay/a.yaml:11: ky: answer: ** is opened but never closed", false},
		{"bad date", "stay/a.yaml", strings.Replace(entry, "2026-11-01", "01.11.2026", 1),
			`faq/stay/a.yaml:2: reviewed "01.11.2026" is not a date like 2026-11-01`, false},
		{"unknown field", "stay/a.yaml", strings.Replace(entry, "related:", "relatd:", 1),
			`faq/stay/a.yaml:6: unknown field "relatd"`, false},
		{"id does not match file", "stay/a.yaml", strings.Replace(entry, "id: stay.a", "id: stay.x", 1),
			`faq/stay/a.yaml:1: id "stay.x" does not match the file name: want "stay.a"`, false},
		{"topic lists missing entry", "topics.yaml", strings.Replace(topics, "[stay.a]", "[stay.a, stay.gone]", 1),
			`faq/topics.yaml:4: topic "stay" lists entry "stay.gone", which does not exist`, false},
		{"folder not a topic", "misc/c.yaml", strings.Replace(other, "stay.b", "misc.c", 1),
			`faq/misc/c.yaml:1: folder "misc" is not a topic in topics.yaml`, false},
		{"office does not exist", "stay/a.yaml", strings.Replace(entry, "related: [stay.b]", "related: [stay.b]\noffices: [nowhere]", 1),
			`faq/stay/a.yaml:7: office "nowhere" is not in offices.yaml`, false},
		{"office phone is not a number", "offices.yaml", strings.Replace(offices, "+996 312 000000", "ask at the door", 1),
			`faq/offices.yaml:2: phone "ask at the door" must be a phone number`, false},
		{"office without a language", "offices.yaml", strings.Replace(offices, "  ru: {name: Центр, city: Бишкек, address: \"\"}\n", "", 1),
			`faq/offices.yaml:1: office "centre": language "ru" is missing`, false},
		{"office without a name", "offices.yaml", strings.Replace(offices, "name: Борбор, ", "", 1),
			`faq/offices.yaml:5: name is missing`, false},
		{"old review", "stay/a.yaml", strings.Replace(entry, "2026-11-01", "2026-01-15", 1),
			"faq/stay/a.yaml:2: warning: reviewed 2026-01-15 is more than 6 months ago", true},
		{"few alternates", "stay/a.yaml", strings.Replace(entry, "[один, два, три, четыре, пять]", "[один, два]", 1),
			"faq/stay/a.yaml:14: warning: ru: 2 alternate phrasings (also:), want at least 5", true},
		{"same phrasing in two entries", "stay/b.yaml", strings.Replace(other, "Второй вопрос?", "Нужна ли регистрация?", 1),
			`faq/stay/b.yaml:9: warning: ru: "Нужна ли регистрация?" is also a phrasing of stay.a`, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			files := valid()
			files[c.file] = c.data
			cat, problems := load(files)
			var lines []string
			for _, p := range problems {
				lines = append(lines, p.String())
			}
			all := strings.Join(lines, "\n")
			if !strings.Contains(all, c.want) {
				t.Errorf("want %q in:\n%s", c.want, all)
			}
			if loaded := cat != nil; loaded != c.warns {
				t.Errorf("catalogue loaded = %v, want %v", loaded, c.warns)
			}
		})
	}
}

func TestDuplicateIDNamesBothFiles(t *testing.T) {
	files := valid()
	files["stay/b.yaml"] = strings.Replace(other, "id: stay.b", "id: stay.a", 1)
	files["stay/a2.yaml"] = strings.Replace(entry, "id: stay.a", "id: stay.a", 1)
	// a2.yaml claims stay.a as well (its name mismatch is a second error).
	_, problems := load(files)
	want := `duplicate id "stay.a" (also in faq/stay/a.yaml:1)`
	for _, p := range problems {
		if strings.Contains(p.String(), want) {
			return
		}
	}
	t.Errorf("want %q in %v", want, problems)
}

// required are the entries the knowledge base must have, in both languages.
var required = strings.Fields(`
	stay.registration stay.period stay.patent stay.contract stay.job-loss stay.medical
	stay.insurance stay.family stay.tax stay.pension stay.diploma stay.entry-ban
	stay.controlled stay.documents stay.lost-passport
	centres.bishkek centres.osh centres.services centres.vacancies centres.free centres.documents
	office.about office.contacts office.rights office.legal-status office.jobs office.return
	office.appointment office.diaspora
	help.emergency help.embassy help.operator`)

func TestShippedFAQHasNoErrors(t *testing.T) {
	cat, problems := faq.Load(faqfiles.FS, "faq", today)
	if err := faq.Err(problems); err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("warning in the shipped FAQ: %s", p)
	}
	for _, id := range required {
		if _, ok := cat.Entry(id); !ok {
			t.Errorf("required entry %s is missing", id)
		}
	}
	for _, e := range cat.Entries() {
		for _, lang := range bot.Languages {
			if e.Text[lang].Question == "" || e.Text[lang].Answer == "" {
				t.Errorf("%s: no %s text", e.ID, lang)
			}
		}
		if len(e.Sources) == 0 || e.Reviewed.IsZero() {
			t.Errorf("%s: no sources or review date", e.ID)
		}
	}
}

// FuzzLoad feeds arbitrary bytes as an entry file and as topics.yaml: the
// loader must never panic, and every problem names a file and a line.
func FuzzLoad(f *testing.F) {
	f.Add([]byte(entry), []byte(topics))
	f.Add([]byte(other), []byte("- id: stay\n"))
	f.Add([]byte("id: [\n"), []byte("{"))
	f.Add([]byte("ky: {answer: '**'}\n"), []byte("- {id: stay, ky: a, ru: b, entries: [x]}"))
	f.Fuzz(func(t *testing.T, entryData, topicsData []byte) {
		cat, problems := load(map[string]string{"topics.yaml": string(topicsData), "stay/a.yaml": string(entryData), "stay/b.yaml": other})
		for _, p := range problems {
			if !strings.HasPrefix(p.File, "faq/") || p.Line < 0 || p.Message == "" {
				t.Fatalf("problem without a place: %+v", p)
			}
		}
		if (cat == nil) != (len(faq.Errors(problems)) > 0) {
			t.Fatalf("catalogue %v with problems %v", cat != nil, problems)
		}
	})
}
