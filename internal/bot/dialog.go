package bot

import (
	"context"
	"fmt"
	"html"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The whole conversation is in this file: commands, button data and steps.

// Commands a user can type.
const (
	cmdStart = "start" // payload: where the user came from (a QR code at the Osh centre...)
	cmdMenu  = "menu"
	cmdLang  = "lang"
	cmdHelp  = "help"
)

// Command is a command with its description, for a transport's command menu.
type Command struct {
	Name        string
	Description string
}

// Commands lists the commands a user can type, described in lang.
func (b *Bot) Commands(lang string) []Command {
	var list []Command
	for _, name := range []string{cmdStart, cmdMenu, cmdLang, cmdHelp} {
		list = append(list, Command{Name: name, Description: b.tr.Text(lang, "Command_"+name, nil)})
	}
	return list
}

// Button data is "1:action" or "1:action:argument". The leading version lets
// a later format tell old buttons apart; data that does not parse, or names
// a topic or entry that does not exist, is answered politely and ignored.
const buttonVersion = "1"

const (
	actMenu      = "menu"
	actLanguages = "langs"  // show the language choice
	actLanguage  = "lang"   // argument: ky or ru
	actTopic     = "topic"  // argument: topic id
	actEntry     = "entry"  // argument: entry id
	actPerson    = "person" // talk to a person
	actSources   = "src"    // argument: entry id
	actPick      = "pick"   // argument: question log id and entry id, "12:stay.period"
)

// Steps: where in the dialog a session is.
const (
	stepIdle           = ""
	stepChooseLanguage = "choose-language"
)

// personEntry is the FAQ entry that explains how to reach a person.
const personEntry = "help.operator"

// defaultLanguage is used until the user has chosen one and nothing hints at it.
const defaultLanguage = Kyrgyz

// maxQuestionRunes bounds what goes to the matcher: a question is short, and
// a pasted 10,000-character text must not cost more than a question.
const maxQuestionRunes = 500

var startPayload = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// conversation is the handling of one event.
type conversation struct {
	ctx     context.Context
	bot     *Bot
	ev      Event
	s       *Session
	know    *Knowledge
	replies []Reply
}

func (c *conversation) handle() {
	switch c.ev.Kind {
	case EventCommand:
		c.command()
	case EventButton:
		c.button()
	case EventText:
		c.text()
	default:
		c.say(c.t("OnlyText", nil), c.menuButtons())
	}
}

func (c *conversation) command() {
	switch c.ev.Text {
	case cmdStart:
		if c.s.Source == "" && startPayload.MatchString(c.ev.Data) {
			c.s.Source = c.ev.Data
		}
		if c.s.Lang == "" || c.s.Step == stepChooseLanguage {
			c.askLanguage()
			return
		}
		c.menu(c.t("Welcome", nil))
	case cmdMenu:
		c.menu("")
	case cmdLang:
		c.askLanguage()
	case cmdHelp:
		c.say(c.t("Help", nil), c.menuButtons())
	default:
		c.say(c.t("UnknownCommand", nil), c.menuButtons())
	}
}

func (c *conversation) button() {
	action, arg, ok := parseButton(c.ev.Data)
	if !ok {
		c.expired()
		return
	}
	switch action {
	case actMenu:
		c.menu("")
	case actLanguages:
		c.askLanguage()
	case actLanguage:
		c.chooseLanguage(arg)
	case actTopic:
		c.topic(arg)
	case actEntry:
		c.entry(arg)
	case actPerson:
		c.entry(personEntry)
	case actSources:
		c.sources(arg)
	case actPick:
		c.pick(arg)
	}
}

func (c *conversation) text() {
	text := strings.TrimSpace(c.ev.Text)
	if c.s.Step == stepChooseLanguage {
		if lang, ok := languageNamed(text); ok {
			c.chooseLanguage(lang)
			return
		}
	}
	if utf8.RuneCountInString(text) > maxQuestionRunes {
		text = string([]rune(text)[:maxQuestionRunes])
	}
	m := c.know.Matcher.Match(text, c.s.Lang)
	if c.s.Lang == "" {
		// Someone who types before choosing a language is answered in the
		// language they typed in; /lang changes it.
		c.s.Lang = m.Lang
		c.s.Step = stepIdle
	}
	if m.Band == BandAnswer {
		c.entry(m.Hits[0].ID)
		return
	}
	var suggested []*Entry
	if m.Band == BandSuggest {
		for _, h := range m.Hits[:min(3, len(m.Hits))] {
			if e, ok := c.know.Catalog.Entry(h.ID); ok {
				suggested = append(suggested, e)
			}
		}
	}
	logID := c.logQuestion(text, m, suggested)
	if len(suggested) == 0 {
		c.say(c.t("NotUnderstood", nil), c.menuButtons())
		return
	}
	var rows [][]Button
	for _, e := range suggested {
		data := button(actPick, fmt.Sprintf("%d:%s", logID, e.ID))
		if logID == 0 || len(data) > maxButtonData {
			data = button(actEntry, e.ID)
		}
		rows = append(rows, []Button{{Label: c.question(e), Data: data}})
	}
	rows = append(rows, []Button{c.personButton()}, []Button{c.menuButton()})
	c.say(c.t("DidYouMean", nil), rows)
}

// maxButtonData is Telegram's limit on a button's data, in bytes.
const maxButtonData = 64

// logQuestion keeps a question the bot could not answer outright, for
// staff; it returns the log id, or 0 when the log failed (the user is
// answered all the same).
func (c *conversation) logQuestion(text string, m Match, suggested []*Entry) uint64 {
	q := Question{Text: maskDigits(text), Lang: m.Lang, Band: m.Band.String(), Time: c.bot.now()}
	for _, e := range suggested {
		q.Suggestions = append(q.Suggestions, e.ID)
	}
	id, err := c.bot.store.LogQuestion(c.ctx, q)
	if err != nil {
		c.bot.log.Warn("logging an unanswered question failed", "err", err)
		return 0
	}
	return id
}

// pick opens a suggested entry and records the choice: the strongest hint
// for a new alternate phrasing.
func (c *conversation) pick(arg string) {
	idText, entry, _ := strings.Cut(arg, ":")
	id, err := strconv.ParseUint(idText, 10, 64)
	if _, ok := c.know.Catalog.Entry(entry); err != nil || !ok {
		c.expired()
		return
	}
	if err := c.bot.store.PickSuggestion(c.ctx, id, entry); err != nil {
		c.bot.log.Warn("recording a picked suggestion failed", "err", err)
	}
	c.entry(entry)
}

// longDigits are runs of digits long enough to be a phone or document number.
var longDigits = regexp.MustCompile(`\d[\d\s()+-]{3,}\d`)

// maskDigits hides phone and document numbers in a question before it is
// kept: staff need the question, not the number.
func maskDigits(text string) string {
	return longDigits.ReplaceAllStringFunc(text, func(s string) string {
		digits := 0
		for _, r := range s {
			if r >= '0' && r <= '9' {
				digits++
			}
		}
		if digits < 5 {
			return s
		}
		return "…"
	})
}

func (c *conversation) askLanguage() {
	if c.s.Lang == "" {
		if lang, ok := languageNamed(c.ev.LanguageHint); ok {
			c.s.Lang = lang
		}
	}
	c.s.Step = stepChooseLanguage
	var prompt []string
	var row []Button
	for _, lang := range Languages {
		prompt = append(prompt, html.EscapeString(c.bot.tr.Text(lang, "ChooseLanguage", nil)))
		label := c.bot.tr.Text(lang, "LanguageName", nil)
		if lang == c.s.Lang {
			label = "✓ " + label
		}
		row = append(row, Button{Label: label, Data: button(actLanguage, lang)})
	}
	c.say(strings.Join(prompt, "\n"), [][]Button{row})
}

func (c *conversation) chooseLanguage(lang string) {
	c.s.Lang = lang
	c.s.Step = stepIdle
	c.menu(c.t("LanguageChosen", nil))
}

// menu shows the main menu, after a first paragraph when there is one.
func (c *conversation) menu(first string) {
	text := c.t("Menu", nil)
	if first != "" {
		text = first + "\n\n" + text
	}
	c.say(text, c.menuButtons())
}

func (c *conversation) menuButtons() [][]Button {
	var rows [][]Button
	for _, t := range c.know.Catalog.Topics {
		rows = append(rows, []Button{{Label: t.Title[c.lang()], Data: button(actTopic, t.ID)}})
	}
	return append(rows,
		[]Button{c.personButton()},
		[]Button{{Label: c.label("ButtonLanguage"), Data: button(actLanguages, "")}})
}

func (c *conversation) topic(id string) {
	t, ok := c.know.Catalog.Topic(id)
	if !ok {
		c.expired()
		return
	}
	var rows [][]Button
	for _, id := range t.Entries {
		if e, ok := c.know.Catalog.Entry(id); ok {
			rows = append(rows, []Button{{Label: c.question(e), Data: button(actEntry, e.ID)}})
		}
	}
	rows = append(rows, []Button{c.menuButton()})
	c.say("<b>"+html.EscapeString(t.Title[c.lang()])+"</b>\n"+c.t("ChooseQuestion", nil), rows)
}

func (c *conversation) entry(id string) {
	e, ok := c.know.Catalog.Entry(id)
	if !ok {
		c.expired()
		return
	}
	text := e.Text[c.lang()]
	var b strings.Builder
	b.WriteString("<b>" + html.EscapeString(text.Question) + "</b>\n\n")
	b.WriteString(text.Answer)
	for _, id := range e.Offices {
		if o, ok := c.know.Catalog.Office(id); ok {
			b.WriteString("\n\n" + c.officeCard(o))
		}
	}
	b.WriteString("\n\n<i>" + c.t("Reviewed", map[string]any{"Date": e.Reviewed.Format("02.01.2006")}) + "</i>")

	var rows [][]Button
	for _, rid := range e.Related {
		if r, ok := c.know.Catalog.Entry(rid); ok {
			rows = append(rows, []Button{{Label: c.question(r), Data: button(actEntry, r.ID)}})
		}
	}
	if e.AskPerson && e.ID != personEntry {
		rows = append(rows, []Button{c.personButton()})
	}
	rows = append(rows, []Button{{Label: c.label("ButtonSources"), Data: button(actSources, e.ID)}})
	rows = append(rows, []Button{
		{Label: c.label("ButtonBack"), Data: button(actTopic, e.Topic)},
		c.menuButton(),
	})
	c.say(b.String(), rows)
}

// officeCard shows an office's contacts, saying which are not confirmed.
func (c *conversation) officeCard(o *Office) string {
	text := o.Text[c.lang()]
	var b strings.Builder
	b.WriteString("🏢 <b>" + html.EscapeString(text.Name) + "</b>, " + html.EscapeString(text.City))
	line := func(label, value string) {
		if value == "" {
			value = c.label("OfficeNotConfirmed")
		}
		b.WriteString("\n" + c.t(label, nil) + ": " + html.EscapeString(value))
	}
	line("OfficeAddress", text.Address)
	line("OfficeHours", text.Hours)
	line("OfficePhone", o.Phone)
	if o.Email != "" {
		line("OfficeEmail", o.Email)
	}
	line("OfficeWebsite", o.Website)
	b.WriteString("\n<i>" + c.t("OfficeVerified", map[string]any{"Date": o.Verified.Format("02.01.2006")}) + "</i>")
	return b.String()
}

// sources lists where an answer's facts come from; kept apart from the
// answer so that the answer stays short on a phone.
func (c *conversation) sources(id string) {
	e, ok := c.know.Catalog.Entry(id)
	if !ok {
		c.expired()
		return
	}
	var b strings.Builder
	b.WriteString("<b>" + c.t("Sources", nil) + "</b> " + html.EscapeString(c.question(e)))
	for i, src := range e.Sources {
		title := html.EscapeString(src.Title)
		if src.URL != "" {
			title = `<a href="` + html.EscapeString(src.URL) + `">` + title + `</a>`
		}
		fmt.Fprintf(&b, "\n%d. %s", i+1, title)
	}
	b.WriteString("\n\n<i>" + c.t("Reviewed", map[string]any{"Date": e.Reviewed.Format("02.01.2006")}) + "</i>")
	c.say(b.String(), [][]Button{{
		{Label: c.label("ButtonBack"), Data: button(actEntry, e.ID)},
		c.menuButton(),
	}})
}

// expired answers a button that names nothing the bot knows: an old message,
// a catalogue that changed since, or forged data.
func (c *conversation) expired() {
	c.say(c.t("ButtonExpired", nil), c.menuButtons())
}

func (c *conversation) say(text string, buttons [][]Button) {
	c.replies = append(c.replies, Reply{ChatID: c.ev.ChatID, Text: text, Buttons: buttons})
}

func (c *conversation) lang() string {
	if c.s.Lang != "" {
		return c.s.Lang
	}
	if lang, ok := languageNamed(c.ev.LanguageHint); ok {
		return lang
	}
	return defaultLanguage
}

// t is a locale message as HTML-safe text.
func (c *conversation) t(id string, data map[string]any) string {
	return html.EscapeString(c.bot.tr.Text(c.lang(), id, data))
}

// label is a locale message as a button label (plain text).
func (c *conversation) label(id string) string {
	return c.bot.tr.Text(c.lang(), id, nil)
}

func (c *conversation) question(e *Entry) string {
	return e.Text[c.lang()].Question
}

func (c *conversation) menuButton() Button {
	return Button{Label: c.label("ButtonMenu"), Data: button(actMenu, "")}
}

func (c *conversation) personButton() Button {
	return Button{Label: c.label("ButtonPerson"), Data: button(actPerson, "")}
}

func button(action, arg string) string {
	if arg == "" {
		return buttonVersion + ":" + action
	}
	return buttonVersion + ":" + action + ":" + arg
}

// parseButton checks the shape of button data; whether the argument names
// something that exists is checked where it is used.
func parseButton(data string) (action, arg string, ok bool) {
	parts := strings.SplitN(data, ":", 3)
	if len(parts) < 2 || parts[0] != buttonVersion {
		return "", "", false
	}
	action = parts[1]
	if len(parts) == 3 {
		arg = parts[2]
	}
	switch action {
	case actMenu, actLanguages, actPerson:
		return action, "", arg == ""
	case actLanguage:
		return action, arg, arg == Kyrgyz || arg == Russian
	case actTopic, actEntry, actSources, actPick:
		return action, arg, arg != ""
	}
	return "", "", false
}

// languageNamed reads a language code or a language's name as people type it.
func languageNamed(s string) (string, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	if i := strings.IndexAny(s, "-_"); i > 0 { // Telegram sends "ru-RU" style codes too
		s = s[:i]
	}
	switch s {
	case Kyrgyz, "кыргызча", "кыргыз", "kyrgyzcha", "kyrgyz", "kg":
		return Kyrgyz, true
	case Russian, "русский", "орусча", "russkiy", "russian", "рус":
		return Russian, true
	}
	return "", false
}
