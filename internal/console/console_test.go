package console

import (
	"context"
	"strings"
	"testing"

	"migrantbot/internal/bot"
)

// echo replies with what it got and two buttons.
type echo struct{ events []bot.Event }

func (e *echo) Handle(_ context.Context, ev bot.Event) ([]bot.Reply, error) {
	e.events = append(e.events, ev)
	return []bot.Reply{{
		Text:    "<b>got</b> " + ev.Text + ev.Data + " &amp; more",
		Buttons: [][]bot.Button{{{Label: "First", Data: "1:a"}, {Label: "Second", Data: "1:b"}}},
	}}, nil
}

func TestNumbersPressButtonsAndSlashesAreCommands(t *testing.T) {
	h := &echo{}
	var out strings.Builder
	in := "/start osh_centre\n2\n\n7\nпривет\n"
	if err := (&Chat{Bot: h, In: strings.NewReader(in), Out: &out}).Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	want := []bot.Event{
		{ChatID: ChatID, Kind: bot.EventCommand, Text: "start", Data: "osh_centre"},
		{ChatID: ChatID, Kind: bot.EventButton, Data: "1:b"},
		{ChatID: ChatID, Kind: bot.EventText, Text: "7"}, // no seventh button: plain text
		{ChatID: ChatID, Kind: bot.EventText, Text: "привет"},
	}
	if len(h.events) != len(want) {
		t.Fatalf("events %+v", h.events)
	}
	for i := range want {
		if h.events[i] != want[i] {
			t.Errorf("event %d = %+v, want %+v", i, h.events[i], want[i])
		}
	}
	got := out.String()
	for _, w := range []string{"> /start osh_centre\n", "got startosh_centre & more", "[1] First   [2] Second", "> 2\n"} {
		if !strings.Contains(got, w) {
			t.Errorf("output lacks %q:\n%s", w, got)
		}
	}
	if strings.Contains(got, "<b>") {
		t.Errorf("HTML tags reach the terminal:\n%s", got)
	}
}

func TestPlainText(t *testing.T) {
	cases := map[string]string{
		`<b>Да</b> &lt;5&gt;`:                           "Да <5>",
		`<a href="https://mfa.gov.kg">сайт МИД</a>`:     "сайт МИД (https://mfa.gov.kg)",
		`<a href="https://a.b/c">https://a.b/c</a>`:     "https://a.b/c",
		`<i>Сведения &amp; источники</i>`:               "Сведения & источники",
		`<a href="https://x.y/?a=1&amp;b=2">ссылка</a>`: "ссылка (https://x.y/?a=1&b=2)",
	}
	for in, want := range cases {
		if got := PlainText(in); got != want {
			t.Errorf("PlainText(%q) = %q, want %q", in, got, want)
		}
	}
}
