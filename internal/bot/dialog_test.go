package bot_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	faqfiles "migrantbot/faq"
	"migrantbot/internal/bolt"
	"migrantbot/internal/bot"
	"migrantbot/internal/faq"
	"migrantbot/internal/locale"
	"migrantbot/internal/match"
	"migrantbot/locales"
)

const chat = 555

// strictTranslator fails the test when the dialog asks for a message that
// a language lacks.
type strictTranslator struct {
	t  *testing.T
	tr *locale.Translator
}

func (s strictTranslator) Text(lang, id string, data map[string]any) string {
	text, err := s.tr.Lookup(lang, id, data)
	if err != nil {
		s.t.Errorf("message %q in %q: %v", id, lang, err)
	}
	return text
}

// harness is one user talking to a bot over a real store, FAQ and locales.
type harness struct {
	t    *testing.T
	path string
	db   *bolt.DB
	bot  *bot.Bot
	know *bot.Knowledge
	last []bot.Reply
	hint string
}

func shippedKnowledge(t testing.TB) *bot.Knowledge {
	t.Helper()
	cat, problems := faq.Load(faqfiles.FS, "faq", time.Now())
	if err := faq.Err(problems); err != nil {
		t.Fatal(err)
	}
	return &bot.Knowledge{Catalog: cat, Matcher: match.New(cat)}
}

func newHarness(t *testing.T) *harness {
	h := &harness{t: t, path: filepath.Join(t.TempDir(), "bot.db"), know: shippedKnowledge(t)}
	h.open()
	return h
}

func (h *harness) open() {
	h.t.Helper()
	db, err := bolt.Open(h.path)
	if err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(func() { db.Close() })
	tr, err := locale.Load(locales.FS, bot.Languages)
	if err != nil {
		h.t.Fatal(err)
	}
	h.db = db
	h.bot = bot.New(db, bot.NewLibrary(h.know), strictTranslator{h.t, tr}, slog.New(slog.NewTextHandler(io.Discard, nil)))
}

// started is a user who has sent /start and chosen a language.
func started(t *testing.T, language string) *harness {
	h := newHarness(t)
	h.command("start", "")
	h.press(language)
	return h
}

// restart closes the store and opens a new bot on the same file.
func (h *harness) restart() {
	h.db.Close()
	h.open()
}

func (h *harness) send(ev bot.Event) []bot.Reply {
	h.t.Helper()
	ev.ChatID = chat
	ev.LanguageHint = h.hint
	replies, err := h.bot.Handle(context.Background(), ev)
	if err != nil {
		h.t.Fatalf("Handle(%+v): %v", ev, err)
	}
	if len(replies) == 0 {
		h.t.Fatalf("Handle(%+v): no reply", ev)
	}
	for _, r := range replies {
		if r.ChatID != chat && !coordinators.IsChat(r.ChatID) {
			h.t.Errorf("reply to chat %d, want %d or a coordinators' chat", r.ChatID, chat)
		}
	}
	h.last = replies
	return replies
}

func (h *harness) command(name, payload string) string {
	return text(h.send(bot.Event{Kind: bot.EventCommand, Text: name, Data: payload}))
}

func (h *harness) typed(s string) string {
	return text(h.send(bot.Event{Kind: bot.EventText, Text: s}))
}

// press presses the button of the last replies whose label contains label.
func (h *harness) press(label string) string {
	h.t.Helper()
	for _, r := range h.last {
		for _, row := range r.Buttons {
			for _, b := range row {
				if strings.Contains(b.Label, label) {
					return text(h.send(bot.Event{Kind: bot.EventButton, Data: b.Data}))
				}
			}
		}
	}
	h.t.Fatalf("no button %q in %v", label, labels(h.last))
	return ""
}

func (h *harness) session() bot.Session {
	h.t.Helper()
	s, _, err := h.db.Session(context.Background(), chat)
	if err != nil {
		h.t.Fatal(err)
	}
	return s
}

func text(replies []bot.Reply) string {
	var parts []string
	for _, r := range replies {
		parts = append(parts, r.Text)
	}
	return strings.Join(parts, "\n")
}

func labels(replies []bot.Reply) []string {
	var out []string
	for _, r := range replies {
		for _, row := range r.Buttons {
			for _, b := range row {
				out = append(out, b.Label)
			}
		}
	}
	return out
}

func hasLabel(replies []bot.Reply, label string) bool {
	for _, l := range labels(replies) {
		if strings.Contains(l, label) {
			return true
		}
	}
	return false
}

func wantContains(t *testing.T, got string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(got, w) {
			t.Errorf("reply lacks %q:\n%s", w, got)
		}
	}
}

func TestFirstStartAsksForTheLanguageInBothLanguages(t *testing.T) {
	h := newHarness(t)
	got := h.command("start", "")
	wantContains(t, got, "Тилди тандаңыз", "Выберите язык")
	if !hasLabel(h.last, "Кыргызча") || !hasLabel(h.last, "Русский") {
		t.Errorf("language buttons: %v", labels(h.last))
	}
}

func TestKyrgyzChoiceGivesAKyrgyzMenu(t *testing.T) {
	h := newHarness(t)
	h.command("start", "")
	got := h.press("Кыргызча")
	wantContains(t, got, "кыргызча жооп берем", "Эмне тууралуу билгиңиз келет")
	for _, want := range []string{"Орусияда жүрүү эрежелери", "Бишкек жана Оштогу борборлор", "Орусиядагы өкүлчүлүк", "Адам менен сүйлөшүү", "Тил"} {
		if !hasLabel(h.last, want) {
			t.Errorf("Kyrgyz menu lacks %q: %v", want, labels(h.last))
		}
	}
	if h.session().Lang != bot.Kyrgyz {
		t.Errorf("session language %q", h.session().Lang)
	}
}

func TestMenuTopicAnswerAndBack(t *testing.T) {
	h := started(t, "Русский")

	got := h.press("Правила пребывания")
	wantContains(t, got, "Правила пребывания в России", "Выберите вопрос")
	if !hasLabel(h.last, "Нужен ли патент") || !hasLabel(h.last, "Главное меню") {
		t.Fatalf("topic buttons: %v", labels(h.last))
	}

	got = h.press("Нужен ли патент")
	wantContains(t, got, "<b>Нужен ли патент гражданину Кыргызстана?</b>", "<b>Нет.</b>", "Сведения проверены 24.11.2026")
	for _, want := range []string{"Назад", "Главное меню", "Источники", "Нужно ли вставать на миграционный учёт?"} {
		if !hasLabel(h.last, want) {
			t.Errorf("answer lacks button %q: %v", want, labels(h.last))
		}
	}

	got = h.press("Источники")
	wantContains(t, got, `<a href="https://burundi.mid.ru/`, "Сведения проверены")

	h.press("Назад") // back to the answer
	got = h.press("Назад")
	wantContains(t, got, "Выберите вопрос")
	got = h.press("Главное меню")
	wantContains(t, got, "О чём хотите узнать?")
}

func TestEveryTopicAndEntryOpensInBothLanguages(t *testing.T) {
	for _, lang := range []string{"Кыргызча", "Русский"} {
		h := started(t, lang)
		for _, topic := range h.know.Catalog.Topics {
			h.send(bot.Event{Kind: bot.EventButton, Data: "1:topic:" + topic.ID})
			if hasLabel(h.last, "Назад") {
				t.Errorf("topic %s: a topic list has no Back, only Menu", topic.ID)
			}
			for _, id := range topic.Entries {
				got := text(h.send(bot.Event{Kind: bot.EventButton, Data: "1:entry:" + id}))
				e, _ := h.know.Catalog.Entry(id)
				wantContains(t, got, e.Text[h.session().Lang].Question)
			}
		}
	}
}

func TestLanguageSwitchesAtAnyTime(t *testing.T) {
	h := started(t, "Кыргызча")
	h.press("Орусияда жүрүү")

	got := h.command("lang", "")
	wantContains(t, got, "Тилди тандаңыз", "Выберите язык")
	if !hasLabel(h.last, "✓ Кыргызча") {
		t.Errorf("current language not marked: %v", labels(h.last))
	}
	got = h.press("Русский")
	wantContains(t, got, "отвечаю по-русски", "О чём хотите узнать?")

	// A question typed in Kyrgyz is answered in the session's language.
	got = h.typed("патент керекпи")
	wantContains(t, got, "Нужен ли патент гражданину Кыргызстана?")
}

func TestTypedQuestionsAreAnsweredInTheSessionLanguage(t *testing.T) {
	cases := []struct{ lang, question, want string }{
		{"Кыргызча", "патент керекпи", "Кыргызстандын жаранына патент керекпи?"},
		{"Русский", "нужна ли регистрация", "Нужно ли вставать на миграционный учёт?"},
		{"Кыргызча", "каттоо канча кундо керек", "Миграциялык каттоодон өтүү керекпи?"},
		{"Кыргызча", "нужна ли регистрация", "Миграциялык каттоодон өтүү керекпи?"},
	}
	for _, c := range cases {
		t.Run(c.question, func(t *testing.T) {
			h := newHarness(t)
			h.command("start", "")
			h.press(c.lang)
			wantContains(t, h.typed(c.question), "<b>"+c.want+"</b>")
		})
	}
}

func TestQuestionBeforeChoosingALanguageIsAnsweredInItsOwnLanguage(t *testing.T) {
	h := newHarness(t)
	wantContains(t, h.typed("патент керекпи"), "Кыргызстандын жаранына патент керекпи?")
	if h.session().Lang != bot.Kyrgyz {
		t.Errorf("session language %q, want ky", h.session().Lang)
	}
}

func TestUnknownInputGetsAnHonestReplyAndTheMenu(t *testing.T) {
	h := started(t, "Русский")

	got := h.typed("какая завтра погода в Бишкеке и кто выиграл футбол")
	wantContains(t, got, "нет ответа")
	if !hasLabel(h.last, "Связаться с человеком") || !hasLabel(h.last, "Правила пребывания") {
		t.Errorf("no menu and person in %v", labels(h.last))
	}

	got = text(h.send(bot.Event{Kind: bot.EventOther}))
	wantContains(t, got, "только текст")
	if !hasLabel(h.last, "Правила пребывания") {
		t.Errorf("no menu after a sticker: %v", labels(h.last))
	}

	wantContains(t, h.command("frobnicate", ""), "Такой команды я не знаю", "/help")
	wantContains(t, h.command("help", ""), "/lang", "/menu")
}

func TestLongMessageIsHandled(t *testing.T) {
	h := started(t, "Русский")
	long := strings.Repeat("регистрация ", 1000) // 12,000 characters
	got := h.typed(long)
	if got == "" {
		t.Fatal("no reply")
	}
}

func TestForgedButtonsAreIgnoredPolitely(t *testing.T) {
	forged := []string{
		"", "1", "1:", "x:menu", "2:menu", "1:menu:extra", "1:nope", "1:lang:en", "1:lang:",
		"1:topic:", "1:topic:../../etc/passwd", "1:entry:stay.nothing", "1:src:nope",
		"1:entry:" + strings.Repeat("a", 5000), "\xff\xfe", "1:lang:ky:ru",
	}
	for _, data := range forged {
		h := started(t, "Русский")
		before := h.session()
		got := text(h.send(bot.Event{Kind: bot.EventButton, Data: data}))
		wantContains(t, got, "Эта кнопка устарела")
		if !hasLabel(h.last, "Правила пребывания") {
			t.Errorf("%q: no menu: %v", data, labels(h.last))
		}
		after := h.session()
		if after.Lang != before.Lang || after.Step != before.Step {
			t.Errorf("%q changed the session: %+v -> %+v", data, before, after)
		}
	}
}

func TestLanguageAndSourceSurviveARestart(t *testing.T) {
	h := newHarness(t)
	h.command("start", "osh_centre")
	h.press("Кыргызча")
	h.restart()

	got := h.command("start", "other_qr")
	wantContains(t, got, "Саламатсызбы", "Эмне тууралуу билгиңиз келет")
	s := h.session()
	if s.Lang != bot.Kyrgyz || s.Source != "osh_centre" {
		t.Errorf("session after restart: %+v", s)
	}
	if s.FirstSeen.IsZero() || s.LastSeen.Before(s.FirstSeen) {
		t.Errorf("first/last seen: %v %v", s.FirstSeen, s.LastSeen)
	}
}

func TestBadStartPayloadIsNotStored(t *testing.T) {
	h := newHarness(t)
	h.command("start", "<script>alert(1)</script>")
	if s := h.session(); s.Source != "" {
		t.Errorf("source %q stored", s.Source)
	}
}

func TestTelegramLanguagePreselectsTheChoice(t *testing.T) {
	h := newHarness(t)
	h.hint = "ru-RU"
	h.command("start", "")
	if !hasLabel(h.last, "✓ Русский") {
		t.Errorf("Russian not preselected: %v", labels(h.last))
	}
	if h.session().Step == "" {
		t.Error("a preselected language still waits for the choice")
	}
	// The choice is still asked at the next /start until it is made.
	wantContains(t, h.command("start", ""), "Выберите язык")
}

func TestLanguageCanBeTypedWhenAsked(t *testing.T) {
	h := newHarness(t)
	h.command("start", "")
	wantContains(t, h.typed("Русский"), "отвечаю по-русски")
}

type failingStore struct{ bot.Store }

func (failingStore) Session(context.Context, int64) (bot.Session, bool, error) {
	return bot.Session{}, false, errors.New("disk on fire")
}

func TestStoreFailureGivesAPoliteLine(t *testing.T) {
	tr, err := locale.Load(locales.FS, bot.Languages)
	if err != nil {
		t.Fatal(err)
	}
	b := bot.New(failingStore{}, bot.NewLibrary(shippedKnowledge(t)), tr, slog.New(slog.NewTextHandler(io.Discard, nil)))
	replies, err := b.Handle(context.Background(), bot.Event{ChatID: 1, Kind: bot.EventText, Text: "hi"})
	if err == nil || !strings.Contains(err.Error(), "disk on fire") {
		t.Errorf("err = %v", err)
	}
	if len(replies) != 1 || strings.Contains(replies[0].Text, "disk") || replies[0].Text == "" {
		t.Errorf("replies = %+v", replies)
	}
}

type panickingMatcher struct{}

func (panickingMatcher) Match(string, string) bot.Match { panic("index out of range") }

func TestPanicInOneUpdateBecomesAnError(t *testing.T) {
	h := newHarness(t)
	h.know.Matcher = panickingMatcher{}
	h.command("start", "")
	h.press("Русский")
	replies, err := h.bot.Handle(context.Background(), bot.Event{ChatID: chat, Kind: bot.EventText, Text: "вопрос"})
	if err == nil || !strings.Contains(err.Error(), "panic") {
		t.Errorf("err = %v", err)
	}
	wantContains(t, text(replies), "что-то пошло не так")
	// The next update is served as usual.
	wantContains(t, h.command("menu", ""), "О чём хотите узнать?")
}

func TestOfficeCardSaysWhatIsNotConfirmed(t *testing.T) {
	h := started(t, "Русский")
	got := text(h.send(bot.Event{Kind: bot.EventButton, Data: "1:entry:help.embassy"}))
	wantContains(t, got,
		"🏢 <b>Посольство Кыргызской Республики в Российской Федерации</b>, Москва",
		"Адрес: не подтверждено", "Телефон: не подтверждено",
		"Электронная почта: kgembassy.ru@mfa.gov.kg", "Сайт: https://mfa.gov.kg", "Контакты проверены")

	h.command("lang", "")
	h.press("Кыргызча")
	got = text(h.send(bot.Event{Kind: bot.EventButton, Data: "1:entry:centres.osh"}))
	wantContains(t, got, "Дарек: ырасталган эмес", "Телефон: ырасталган эмес")
}

func TestUnansweredQuestionsAreLoggedWithoutTheUser(t *testing.T) {
	h := started(t, "Русский")
	h.typed("какая погода в оше завтра")
	h.typed("работа")                   // ambiguous: "did you mean"
	h.typed("нужна ли регистрация")     // answered: not logged
	h.press("Сколько можно находиться") // a related entry, not a pick
	h.typed("позвоните мне 89161234567 про погоду")

	list, err := h.db.Questions(context.Background(), time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 3 {
		t.Fatalf("logged %d questions: %+v", len(list), list)
	}
	if q := list[0]; q.Band != "none" || q.Lang != "ru" || q.Text != "какая погода в оше завтра" || q.Time.IsZero() {
		t.Errorf("none question logged as %+v", q)
	}
	if q := list[1]; q.Band != "suggest" || len(q.Suggestions) == 0 || q.Suggestions[0] != "office.jobs" {
		t.Errorf("suggest question logged as %+v", q)
	}
	if strings.Contains(list[2].Text, "89161234567") || !strings.Contains(list[2].Text, "…") {
		t.Errorf("a phone number reached the log: %q", list[2].Text)
	}
}

func TestPickingASuggestionIsLogged(t *testing.T) {
	h := started(t, "Русский")
	wantContains(t, h.typed("работа"), "Вы об этом?")
	got := h.press("Помогает ли представительство")
	wantContains(t, got, "<b>Помогает ли представительство найти работу в России?</b>")
	list, _ := h.db.Questions(context.Background(), time.Time{})
	if len(list) != 1 || list[0].Picked != "office.jobs" {
		t.Errorf("pick not logged: %+v", list)
	}
	// A forged pick of an entry that was not suggested changes nothing.
	h.send(bot.Event{Kind: bot.EventButton, Data: fmt.Sprintf("1:pick:%d:help.embassy", list[0].ID)})
	if list, _ = h.db.Questions(context.Background(), time.Time{}); list[0].Picked != "office.jobs" {
		t.Errorf("forged pick recorded: %+v", list[0])
	}
}

type noLogStore struct{ *bolt.DB }

func (noLogStore) LogQuestion(context.Context, bot.Question) (uint64, error) {
	return 0, errors.New("log bucket full")
}

func TestAFailingQuestionLogDoesNotStopTheAnswer(t *testing.T) {
	h := newHarness(t)
	tr, _ := locale.Load(locales.FS, bot.Languages)
	b := bot.New(noLogStore{h.db}, bot.NewLibrary(h.know), strictTranslator{t, tr}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	replies, err := b.Handle(context.Background(), bot.Event{ChatID: chat, Kind: bot.EventText, Text: "работа"})
	if err != nil || !hasLabel(replies, "Помогает ли представительство") {
		t.Fatalf("replies %v, err %v", labels(replies), err)
	}
	// Without a log id the suggestion is a plain entry button.
	if data := replies[0].Buttons[0][0].Data; data != "1:entry:office.jobs" {
		t.Errorf("button data %q", data)
	}
}

func TestAnEventDeliveredTwiceIsHandledOnce(t *testing.T) {
	h := started(t, "Русский")
	ev := bot.Event{ID: "tg:1001", ChatID: chat, Kind: bot.EventText, Text: "работа"}
	first, err := h.bot.Handle(context.Background(), ev)
	if err != nil || len(first) == 0 || first[0].ID == 0 {
		t.Fatalf("first: %+v, %v", first, err)
	}
	again, err := h.bot.Handle(context.Background(), ev)
	if err != nil || len(again) != 0 {
		t.Errorf("second delivery answered again: %+v, %v", again, err)
	}
	if list, _ := h.db.Questions(context.Background(), time.Time{}); len(list) != 1 {
		t.Errorf("second delivery logged again: %d questions", len(list))
	}
	if out, _ := h.db.Outbox(context.Background()); len(out) != len(first) {
		t.Errorf("outbox holds %d replies, want %d", len(out), len(first))
	}
}

func TestParseCommand(t *testing.T) {
	cases := []struct {
		text, name, payload string
		ok                  bool
	}{
		{"/start osh_centre", "start", "osh_centre", true},
		{"/MENU", "menu", "", true},
		{"/referrals@migrant_bot  closed osh ", "referrals", "closed osh", true},
		{"патент керекпи", "", "", false},
		{" /start", "", "", false},
	}
	for _, c := range cases {
		name, payload, ok := bot.ParseCommand(c.text)
		if name != c.name || payload != c.payload || ok != c.ok {
			t.Errorf("ParseCommand(%q) = %q, %q, %v", c.text, name, payload, ok)
		}
	}
}
