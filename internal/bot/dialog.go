package bot

import (
	"bytes"
	"context"
	"fmt"
	"html"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// The whole conversation is in this file: commands, button data and steps.

// Commands a user can type.
const (
	cmdStart      = "start" // payload: where the user came from (a QR code at the Osh centre...)
	cmdMenu       = "menu"
	cmdLang       = "lang"
	cmdHelp       = "help"
	cmdMyRequests = "myrequests"
	cmdPrivacy    = "privacy"
	cmdForget     = "forget"
)

// Commands only coordinators have; to anyone else they do not exist.
const (
	cmdReferrals = "referrals" // [new|open|closed|all] [bishkek|osh|office]
	cmdReferral  = "referral"  // N
	cmdExport    = "export"    // [days]
	cmdStats     = "stats"     // [days]
)

// Command is a command with its description, for a transport's command menu.
type Command struct {
	Name        string
	Description string
}

// Commands lists the commands a user can type, described in lang.
func (b *Bot) Commands(lang string) []Command {
	var list []Command
	for _, name := range []string{cmdStart, cmdMenu, cmdLang, cmdMyRequests, cmdPrivacy, cmdForget, cmdHelp} {
		list = append(list, Command{Name: name, Description: b.tr.Text(lang, "Command_"+name, nil)})
	}
	return list
}

// ParseCommand reads "/name payload" (or "/name@bot payload") as people
// type it; false when text is not a command.
func ParseCommand(text string) (name, payload string, ok bool) {
	if !strings.HasPrefix(text, "/") {
		return "", "", false
	}
	name, payload, _ = strings.Cut(text[1:], " ")
	name, _, _ = strings.Cut(name, "@")
	return strings.ToLower(name), strings.TrimSpace(payload), true
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

	// The referral form.
	actDestination = "rd"     // argument: destination
	actTopicChoice = "rt"     // argument: topic id
	actConsent     = "agree"  // to the privacy notice
	actNoConsent   = "refuse" // the privacy notice
	actOnlyChat    = "tgonly" // reach me only through Telegram
	actSend        = "send"   // confirm the referral
	actBack        = "back"   // to the form's previous step
	actCancel      = "cancel" // the form

	actForget = "forget" // confirm /forget
	actKeep   = "keep"   // do not forget

	actStatus = "rs" // coordinators; argument: referral id and status, "12:taken"
)

// Steps: where in the dialog a session is.
const (
	stepIdle           = ""
	stepChooseLanguage = "choose-language"
	stepForget         = "forget" // waiting for /forget to be confirmed
)

// The referral form's steps, in order (the draft's step).
const (
	formDestination = "destination"
	formTopic       = "topic"
	formConsent     = "consent"
	formDescription = "description"
	formCity        = "city"
	formContact     = "contact"
	formConfirm     = "confirm"
)

var formSteps = []string{formDestination, formTopic, formConsent, formDescription, formCity, formContact, formConfirm}

// Limits of what people type into the form.
const (
	maxDescriptionRunes = 1000
	maxCityRunes        = 100
	draftLifetime       = 24 * time.Hour
)

// coordinatorLanguage is the language of posts and commands for
// coordinators, who work in both; the users' own messages keep theirs.
const coordinatorLanguage = Russian

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
	ctx       context.Context
	bot       *Bot
	ev        Event
	s         *Session
	know      *Knowledge
	now       time.Time
	replies   []Reply
	referrals []Referral // created or changed by this event
	counts    []string
	forget    bool
	err       error // a store failure: the turn is not saved
}

func (c *conversation) handle() error {
	if d := c.s.Draft; d != nil && c.now.Sub(d.Updated) > draftLifetime {
		c.s.Draft = nil // a form left for a day is dropped
	}
	if c.bot.coordinators.IsChat(c.ev.ChatID) && !c.bot.coordinators.Users[c.ev.UserID] {
		return nil // in the coordinators' group the bot answers coordinators only
	}
	switch c.ev.Kind {
	case EventCommand:
		c.command()
	case EventButton:
		c.button()
	case EventText:
		c.text()
	case EventContact:
		c.contact()
	default:
		c.say(c.t("OnlyText", nil), c.menuButtons())
	}
	return c.err
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
	case cmdMyRequests:
		c.myRequests()
	case cmdPrivacy:
		c.say(c.t("PrivacyNotice", map[string]any{"Days": c.bot.retention}), c.menuButtons())
	case cmdForget:
		c.s.Step = stepForget
		c.say(c.t("ForgetConfirm", nil), [][]Button{
			{{Label: c.label("ButtonForget"), Data: button(actForget, "")}},
			{{Label: c.label("ButtonKeep"), Data: button(actKeep, "")}},
		})
	case cmdReferrals, cmdReferral, cmdExport, cmdStats:
		if !c.bot.coordinators.Users[c.ev.UserID] {
			c.say(c.t("UnknownCommand", nil), c.menuButtons())
			return
		}
		c.coordinatorCommand()
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
		c.startReferral()
	case actSources:
		c.sources(arg)
	case actPick:
		c.pick(arg)
	case actDestination, actTopicChoice, actConsent, actNoConsent, actOnlyChat, actSend, actBack, actCancel:
		c.formButton(action, arg)
	case actForget:
		c.forgetMe()
	case actKeep:
		c.s.Step = stepIdle
		c.menu(c.t("ForgetKept", nil))
	case actStatus:
		c.changeStatus(arg)
	}
}

func (c *conversation) text() {
	text := strings.TrimSpace(c.ev.Text)
	if c.s.Draft != nil && c.formText(text) {
		return
	}
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
	c.counts = append(c.counts, "band:"+m.Band.String())
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
		// Nothing fits: the menu, and first of all a person.
		c.say(c.t("NotUnderstood", nil), append([][]Button{{c.personButton()}}, c.topicButtons()...))
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
	return append(c.topicButtons(),
		[]Button{c.personButton()},
		[]Button{{Label: c.label("ButtonLanguage"), Data: button(actLanguages, "")}})
}

func (c *conversation) topicButtons() [][]Button {
	var rows [][]Button
	for _, t := range c.know.Catalog.Topics {
		rows = append(rows, []Button{{Label: t.Title[c.lang()], Data: button(actTopic, t.ID)}})
	}
	return rows
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
	c.counts = append(c.counts, "entry:"+e.ID)
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
	if e.AskPerson || e.ID == personEntry {
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
	case actMenu, actLanguages, actPerson, actConsent, actNoConsent, actOnlyChat, actSend, actBack, actCancel, actForget, actKeep:
		return action, "", arg == ""
	case actDestination:
		_, ok := DestinationByID(arg)
		return action, arg, ok
	case actTopicChoice, actStatus:
		return action, arg, arg != ""
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

// --- The referral form: handing a person on to an office. ---

// startReferral opens the form, or returns to a draft in progress.
func (c *conversation) startReferral() {
	if c.s.Draft == nil {
		c.s.Draft = &Draft{Step: formDestination, Updated: c.now}
	}
	c.showStep()
}

// formAction is the step each of the form's answer buttons belongs to: a
// button from an earlier message of the form only shows the current step.
var formAction = map[string]string{
	actDestination: formDestination, actTopicChoice: formTopic, actConsent: formConsent,
	actNoConsent: formConsent, actOnlyChat: formContact, actSend: formConfirm,
}

func (c *conversation) formButton(action, arg string) {
	d := c.s.Draft
	if d == nil {
		c.expired() // a button of a form already sent or cancelled
		return
	}
	if step, ok := formAction[action]; ok && d.Step != step {
		c.showStep()
		return
	}
	switch action {
	case actCancel:
		c.s.Draft = nil
		c.menu(c.t("ReferralCancelled", nil))
		return
	case actBack:
		if i := slices.Index(formSteps, d.Step); i > 0 {
			d.Step = formSteps[i-1]
		} else {
			c.s.Draft = nil
			c.menu("")
			return
		}
	case actDestination:
		d.Destination, d.Step = arg, formTopic
	case actTopicChoice:
		if _, ok := c.know.Catalog.Topic(arg); !ok {
			c.showStep()
			return
		}
		d.Topic, d.Step = arg, formConsent
	case actConsent:
		d.Consent, d.Step = true, formDescription
	case actNoConsent:
		// No consent, no personal data: the office's public contacts instead.
		dest, _ := DestinationByID(d.Destination)
		c.s.Draft = nil
		c.say(c.t("ReferralNoConsent", nil), nil)
		c.entry(dest.Entry)
		return
	case actOnlyChat:
		d.Phone, d.OnlyTelegram, d.Step = "", true, formConfirm
	case actSend:
		if !d.Consent {
			c.showStep()
			return
		}
		c.sendReferral()
		return
	}
	d.Updated = c.now
	c.showStep()
}

// formText takes typed text as the answer to the form's step; false when
// the step does not take text (the text is then a question as usual).
func (c *conversation) formText(text string) bool {
	d := c.s.Draft
	switch d.Step {
	case formDescription:
		if n := utf8.RuneCountInString(text); n > maxDescriptionRunes {
			c.say(c.t("ReferralTooLong", map[string]any{"Count": n, "Max": maxDescriptionRunes}), c.formButtons())
			return true
		}
		d.Description, d.Step = text, formCity
	case formCity:
		if utf8.RuneCountInString(text) > maxCityRunes {
			c.say(c.t("ReferralCityTooLong", nil), c.formButtons())
			return true
		}
		d.City, d.Step = text, formContact
	case formContact:
		phone, ok := phoneNumber(text)
		if !ok {
			c.say(c.t("ReferralBadPhone", nil), c.formButtons())
			return true
		}
		d.Phone, d.OnlyTelegram, d.Step = phone, false, formConfirm
	default:
		return false
	}
	d.Updated = c.now
	c.showStep()
	return true
}

// contact takes a phone number shared with Telegram's button.
func (c *conversation) contact() {
	d := c.s.Draft
	phone, ok := phoneNumber(c.ev.Data)
	if d == nil || d.Step != formContact || !ok {
		c.say(c.t("OnlyText", nil), c.menuButtons())
		return
	}
	d.Phone, d.OnlyTelegram, d.Step, d.Updated = phone, false, formConfirm, c.now
	c.showStep()
}

var phoneChars = regexp.MustCompile(`^\+?[0-9 ()-]+$`)

// phoneNumber accepts a phone number as people type it: 7 to 15 digits.
func phoneNumber(s string) (string, bool) {
	s = strings.TrimSpace(s)
	digits := strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, s)
	if !phoneChars.MatchString(s) || len(digits) < 7 || len(digits) > 15 {
		return "", false
	}
	if strings.HasPrefix(s, "+") {
		return "+" + digits, true
	}
	return digits, true
}

// showStep asks for what the form's current step needs.
func (c *conversation) showStep() {
	d := c.s.Draft
	switch d.Step {
	case formDestination:
		var rows [][]Button
		for _, dest := range Destinations {
			rows = append(rows, []Button{{Label: c.label("Destination_" + dest.ID), Data: button(actDestination, dest.ID)}})
		}
		c.say(c.t("ReferralStart", nil)+"\n\n"+c.t("ReferralDestination", nil), append(rows, []Button{c.cancelButton()}))
	case formTopic:
		var rows [][]Button
		for _, t := range c.know.Catalog.Topics {
			rows = append(rows, []Button{{Label: t.Title[c.lang()], Data: button(actTopicChoice, t.ID)}})
		}
		c.say(c.t("ReferralTopic", nil), append(rows, c.formButtons()...))
	case formConsent:
		c.say(c.t("PrivacyNotice", map[string]any{"Days": c.bot.retention})+"\n\n"+c.t("ReferralConsent", nil), append([][]Button{
			{{Label: c.label("ButtonAgree"), Data: button(actConsent, "")}},
			{{Label: c.label("ButtonRefuse"), Data: button(actNoConsent, "")}},
		}, c.formButtons()...))
	case formDescription:
		c.say(c.t("ReferralDescription", map[string]any{"Max": maxDescriptionRunes}), c.formButtons())
	case formCity:
		c.say(c.t("ReferralCity", nil), c.formButtons())
	case formContact:
		c.replies = append(c.replies, Reply{ChatID: c.ev.ChatID, Text: c.t("ReferralContact", nil), AskContact: c.label("ButtonShareContact")})
		c.say(c.t("ReferralContactOr", nil), append([][]Button{{{Label: c.label("ButtonOnlyTelegram"), Data: button(actOnlyChat, "")}}}, c.formButtons()...))
	case formConfirm:
		c.replies = append(c.replies, Reply{ChatID: c.ev.ChatID, Text: c.summary(d), HideContact: true})
		c.say(c.t("ReferralConfirm", nil), append([][]Button{{{Label: c.label("ButtonSend"), Data: button(actSend, "")}}}, c.formButtons()...))
	}
}

// summary shows the user what will be sent.
func (c *conversation) summary(d *Draft) string {
	contact := html.EscapeString(d.Phone)
	if d.OnlyTelegram {
		contact = c.t("OnlyTelegram", nil)
	}
	topic, _ := c.know.Catalog.Topic(d.Topic)
	return c.t("ReferralSummary", nil) + "\n\n" +
		"<b>" + c.t("FieldDestination", nil) + ":</b> " + html.EscapeString(c.label("Destination_"+d.Destination)) + "\n" +
		"<b>" + c.t("FieldTopic", nil) + ":</b> " + html.EscapeString(topicTitle(topic, c.lang())) + "\n" +
		"<b>" + c.t("FieldDescription", nil) + ":</b> " + html.EscapeString(d.Description) + "\n" +
		"<b>" + c.t("FieldCity", nil) + ":</b> " + html.EscapeString(d.City) + "\n" +
		"<b>" + c.t("FieldContact", nil) + ":</b> " + contact
}

func topicTitle(t *Topic, lang string) string {
	if t == nil {
		return ""
	}
	return t.Title[lang]
}

func (c *conversation) formButtons() [][]Button {
	return [][]Button{{{Label: c.label("ButtonBack"), Data: button(actBack, "")}, c.cancelButton()}}
}

func (c *conversation) cancelButton() Button {
	return Button{Label: c.label("ButtonCancel"), Data: button(actCancel, "")}
}

// sendReferral saves the referral with this turn and tells the user its
// number: the number is only told once the referral is on disk, because
// the reply is saved in the same transaction.
func (c *conversation) sendReferral() {
	d := c.s.Draft
	id, err := c.bot.store.ReserveReferralID(c.ctx)
	if err != nil {
		c.err = fmt.Errorf("reserve a referral id: %w", err)
		return
	}
	r := Referral{
		ID: id, ChatID: c.s.ChatID, Lang: c.lang(), Source: c.s.Source, Destination: d.Destination, Topic: d.Topic,
		Description: d.Description, City: d.City, Phone: d.Phone, Status: StatusNew, Created: c.now,
		History: []Change{{Time: c.now, Status: StatusNew}},
	}
	c.s.Draft = nil
	c.referrals = append(c.referrals, r)
	c.counts = append(c.counts, "referral:"+r.Destination)
	c.menu(c.t("ReferralSent", map[string]any{"Number": r.Number(), "Office": c.label("Destination_" + r.Destination)}))
	if chat := c.bot.coordinators.Chat(r.Destination); chat != 0 {
		c.replies = append(c.replies, Reply{ChatID: chat, Text: c.post(r), Buttons: c.statusButtons(r), PostFor: r.ID})
	} else {
		c.bot.log.Warn("no coordinators' chat for a destination: the referral waits in the store", "destination", r.Destination, "referral", r.Number())
	}
}

// myRequests lists the user's referrals with their status.
func (c *conversation) myRequests() {
	list, err := c.bot.store.Referrals(c.ctx, ReferralFilter{ChatID: c.s.ChatID})
	if err != nil {
		c.err = fmt.Errorf("list referrals: %w", err)
		return
	}
	if len(list) == 0 {
		c.say(c.t("MyRequestsNone", nil), append([][]Button{{c.personButton()}}, c.menuButtons()...))
		return
	}
	var b strings.Builder
	b.WriteString(c.t("MyRequests", nil))
	for _, r := range list {
		fmt.Fprintf(&b, "\n<b>%s</b> · %s · %s · %s", r.Number(), r.Created.Format("02.01.2006"),
			html.EscapeString(c.label("Destination_"+r.Destination)), c.t("Status_"+r.Status, nil))
	}
	c.say(b.String(), c.menuButtons())
}

// forgetMe deletes the session and erases the personal data of the user's
// referrals; what statistics need stays.
func (c *conversation) forgetMe() {
	if c.s.Step != stepForget {
		c.expired()
		return
	}
	list, err := c.bot.store.Referrals(c.ctx, ReferralFilter{ChatID: c.s.ChatID})
	if err != nil {
		c.err = fmt.Errorf("list referrals: %w", err)
		return
	}
	for _, r := range list {
		r.Erase(c.now, "erased at the user's request (/forget)")
		c.referrals = append(c.referrals, r)
		if r.Post.MessageID != 0 {
			c.replies = append(c.replies, Reply{ChatID: r.Post.ChatID, Edit: r.Post, Text: c.post(r), Buttons: c.statusButtons(r)})
		}
	}
	c.forget = true
	c.say(c.t("Forgotten", nil), nil)
}

// --- The coordinators' side. ---

// Notice is a message for every coordinators' chat, such as a FAQ edit
// the bot refused.
func (b *Bot) Notice(id string, data map[string]any) []Reply {
	var out []Reply
	for _, chat := range b.coordinators.ChatIDs() {
		out = append(out, Reply{ChatID: chat, Text: html.EscapeString(b.tr.Text(coordinatorLanguage, id, data))})
	}
	return out
}

// post is the coordinators' message about a referral.
func (c *conversation) post(r Referral) string {
	tr := func(id string, data map[string]any) string {
		return html.EscapeString(c.bot.tr.Text(coordinatorLanguage, id, data))
	}
	topic, _ := c.know.Catalog.Topic(r.Topic)
	var b strings.Builder
	fmt.Fprintf(&b, "<b>%s</b> · %s · %s\n", r.Number(), tr("Destination_"+r.Destination, nil), tr("Status_"+r.Status, nil))
	fmt.Fprintf(&b, "<b>%s:</b> %s\n", tr("FieldTopic", nil), html.EscapeString(topicTitle(topic, coordinatorLanguage)))
	if r.Erased {
		b.WriteString("<i>" + tr("PostErased", nil) + "</i>\n")
	} else {
		fmt.Fprintf(&b, "<b>%s:</b> %s\n", tr("FieldDescription", nil), html.EscapeString(r.Description))
		fmt.Fprintf(&b, "<b>%s:</b> %s\n", tr("FieldCity", nil), html.EscapeString(r.City))
		contact := tr("OnlyTelegram", nil)
		if r.Phone != "" {
			contact = html.EscapeString(r.Phone)
		}
		fmt.Fprintf(&b, "<b>%s:</b> %s · <a href=\"tg://user?id=%d\">Telegram</a>\n", tr("FieldContact", nil), contact, r.ChatID)
	}
	fmt.Fprintf(&b, "<b>%s:</b> %s · %s", tr("FieldLanguage", nil), r.Lang, r.Created.Format("02.01.2006 15:04"))
	return b.String()
}

func (c *conversation) statusButtons(r Referral) [][]Button {
	var row []Button
	for _, status := range Statuses[1:] {
		label := c.bot.tr.Text(coordinatorLanguage, "SetStatus_"+status, nil)
		if status == r.Status {
			label = "✓ " + label
		}
		row = append(row, Button{Label: label, Data: button(actStatus, fmt.Sprintf("%d:%s", r.ID, status))})
	}
	return [][]Button{row}
}

// changeStatus records a coordinator's button press: the history grows,
// the post is edited, the user is told in their language. Anyone else's
// press does nothing.
func (c *conversation) changeStatus(arg string) {
	if !c.bot.coordinators.Users[c.ev.UserID] {
		return
	}
	idText, status, _ := strings.Cut(arg, ":")
	id, err := strconv.ParseUint(idText, 10, 64)
	if err != nil || !slices.Contains(Statuses[1:], status) {
		return
	}
	r, ok, err := c.bot.store.Referral(c.ctx, id)
	if err != nil {
		c.err = fmt.Errorf("load referral: %w", err)
		return
	}
	if !ok || r.Status == status {
		return
	}
	r.Status = status
	r.History = append(r.History, Change{Time: c.now, By: c.ev.UserID, Status: status})
	c.referrals = append(c.referrals, r)
	edit := Reply{ChatID: c.ev.ChatID, Text: c.post(r), Buttons: c.statusButtons(r)}
	if r.Post.MessageID != 0 {
		edit.ChatID, edit.Edit = r.Post.ChatID, r.Post
	} else {
		edit.PostFor = r.ID
	}
	c.replies = append(c.replies, edit)
	if !r.Erased && r.ChatID != 0 {
		lang := r.Lang // the language the user speaks now, if they changed it since
		if s, found, err := c.bot.store.Session(c.ctx, r.ChatID); err == nil && found && s.Lang != "" {
			lang = s.Lang
		}
		text := html.EscapeString(c.bot.tr.Text(lang, "StatusChanged_"+status, map[string]any{"Number": r.Number()}))
		c.replies = append(c.replies, Reply{ChatID: r.ChatID, Text: text})
	}
}

// coordinatorCommand answers /referrals, /referral, /export and /stats.
func (c *conversation) coordinatorCommand() {
	tr := func(id string, data map[string]any) string {
		return html.EscapeString(c.bot.tr.Text(coordinatorLanguage, id, data))
	}
	args := strings.Fields(c.ev.Data)
	switch c.ev.Text {
	case cmdReferrals:
		f := ReferralFilter{Statuses: []string{StatusNew, StatusTaken, StatusContacted}}
		for _, a := range args {
			switch {
			case a == "all":
				f.Statuses = nil
			case a == "open":
			case slices.Contains(Statuses, a):
				f.Statuses = []string{a}
			case isDestination(a):
				f.Destination = a
			}
		}
		list, err := c.bot.store.Referrals(c.ctx, f)
		if err != nil {
			c.err = err
			return
		}
		var b strings.Builder
		b.WriteString(tr("ReferralsList", map[string]any{"Count": len(list)}))
		for i, r := range list {
			if i == 50 {
				b.WriteString("\n" + tr("ReferralsMore", map[string]any{"Count": len(list) - 50}))
				break
			}
			fmt.Fprintf(&b, "\n<b>%s</b> · %s · %s · %s", r.Number(), r.Created.Format("02.01"), tr("Destination_"+r.Destination, nil), tr("Status_"+r.Status, nil))
		}
		c.say(b.String(), nil)
	case cmdReferral:
		id, _ := strconv.ParseUint(strings.TrimPrefix(strings.ToUpper(strings.Join(args, "")), "R-"), 10, 64)
		r, ok, err := c.bot.store.Referral(c.ctx, id)
		if err != nil {
			c.err = err
			return
		}
		if !ok {
			c.say(tr("ReferralNotFound", nil), nil)
			return
		}
		var b strings.Builder
		b.WriteString(c.post(r) + "\n\n<b>" + tr("History", nil) + "</b>")
		for _, h := range r.History {
			fmt.Fprintf(&b, "\n%s · %s", h.Time.Format("02.01.2006 15:04"), tr("Status_"+h.Status, nil))
			if h.By != 0 {
				fmt.Fprintf(&b, " · %d", h.By)
			}
			if h.Note != "" {
				b.WriteString(" · " + html.EscapeString(h.Note))
			}
		}
		c.say(b.String(), c.statusButtons(r))
	case cmdExport:
		since := c.since(args)
		list, err := c.bot.store.Referrals(c.ctx, ReferralFilter{Since: since})
		if err != nil {
			c.err = err
			return
		}
		var buf bytes.Buffer
		if err := WriteReferralsCSV(&buf, list); err != nil {
			c.err = err
			return
		}
		name := "referrals-" + c.now.Format("2006-01-02") + ".csv"
		c.replies = append(c.replies, Reply{ChatID: c.ev.ChatID, Text: tr("ExportCaption", map[string]any{"Count": len(list)}), Document: &Document{Name: name, Data: buf.Bytes()}})
	case cmdStats:
		st, err := c.bot.store.Stats(c.ctx, c.since(args))
		if err != nil {
			c.err = err
			return
		}
		c.say(formatStats(st, tr), nil)
	}
}

// since reads a period in days ("30") from a command; none: everything.
func (c *conversation) since(args []string) time.Time {
	if len(args) > 0 {
		if days, err := strconv.Atoi(strings.TrimSuffix(args[0], "d")); err == nil && days > 0 {
			return c.now.AddDate(0, 0, -days)
		}
	}
	return time.Time{}
}

func formatStats(st Stats, tr func(string, map[string]any) string) string {
	var b strings.Builder
	b.WriteString("<b>" + tr("StatsTitle", nil) + "</b>")
	for _, part := range []struct {
		title string
		m     map[string]int
	}{{tr("StatsUsers", nil), st.Users}, {tr("StatsQuestions", nil), st.Counts}, {tr("StatsReferrals", nil), st.Referrals}} {
		b.WriteString("\n\n<b>" + part.title + "</b>")
		keys := make([]string, 0, len(part.m))
		for k := range part.m {
			keys = append(keys, k)
		}
		sort.Slice(keys, func(i, j int) bool {
			return part.m[keys[i]] > part.m[keys[j]] || part.m[keys[i]] == part.m[keys[j]] && keys[i] < keys[j]
		})
		for i, k := range keys {
			if i == 15 {
				break
			}
			fmt.Fprintf(&b, "\n%s: %d", html.EscapeString(k), part.m[k])
		}
	}
	return b.String()
}

func isDestination(id string) bool {
	_, ok := DestinationByID(id)
	return ok
}
