package bot_test

import (
	"context"
	"encoding/csv"
	"strings"
	"testing"
	"time"

	"migrantbot/internal/bot"
)

const (
	coordinator   = 7001
	stranger      = 7002
	coordChatOsh  = -1001
	coordChatMain = -1000
)

var coordinators = bot.Coordinators{
	Users: map[int64]bool{coordinator: true},
	Chats: map[string]int64{"": coordChatMain, "osh": coordChatOsh},
}

// referring is a user who has started, chosen a language and opened the form.
func referring(t *testing.T, language string) *harness {
	h := started(t, language)
	h.bot.WithCoordinators(coordinators)
	return h
}

// fillForm goes through the form up to the summary, in Russian.
func fillForm(h *harness, dest string) {
	h.press("Связаться с человеком")
	h.press(map[string]string{"osh": "Центр трудоустройства в Оше", "bishkek": "Центр трудоустройства в Бишкеке", "office": "Представительство в России"}[dest])
	h.press("Правила пребывания")
	h.press("Согласен")
	h.typed("Работодатель не платит зарплату 2 месяца")
	h.typed("Казань")
	h.typed("+7 (912) 345-67-89")
}

func (h *harness) replyTo(chatID int64) *bot.Reply {
	for i := range h.last {
		if h.last[i].ChatID == chatID {
			return &h.last[i]
		}
	}
	return nil
}

func (h *harness) referrals(f bot.ReferralFilter) []bot.Referral {
	list, err := h.db.Referrals(context.Background(), f)
	if err != nil {
		h.t.Fatal(err)
	}
	return list
}

func TestAFullReferral(t *testing.T) {
	h := referring(t, "Русский")
	got := h.press("Связаться с человеком")
	wantContains(t, got, "Специалист свяжется с вами", "Какой офис")
	h.press("Центр трудоустройства в Оше")
	wantContains(t, h.press("Правила пребывания"), "Что мы сохраняем", "Кто видит", "180 дней", "/forget", "Вы согласны?")
	wantContains(t, h.press("Согласен"), "Коротко опишите ситуацию")
	wantContains(t, h.typed("Работодатель <b>не платит</b> 2 месяца"), "В каком городе")
	got = h.typed("Казань")
	wantContains(t, got, "Поделитесь номером")
	if h.last[0].AskContact != "📱 Поделиться номером" {
		t.Errorf("no share-contact button: %+v", h.last[0])
	}
	got = h.typed("+7 (912) 345-67-89")
	wantContains(t, got, "Проверьте:", "Центр трудоустройства в Оше", "Работодатель &lt;b&gt;не платит&lt;/b&gt; 2 месяца", "Казань", "+79123456789", "Отправить?")
	if !h.last[0].HideContact {
		t.Error("the share-contact button stays after the number was given")
	}

	got = h.press("Отправить")
	wantContains(t, got, "Обращение принято, его номер R-000001", "Центр трудоустройства в Оше", "/myrequests")
	post := h.replyTo(coordChatOsh)
	if post == nil || post.PostFor != 1 || !strings.Contains(post.Text, "R-000001") || !strings.Contains(post.Text, "+79123456789") || len(post.Buttons[0]) != 3 {
		t.Fatalf("coordinators' post: %+v", post)
	}
	list := h.referrals(bot.ReferralFilter{})
	if len(list) != 1 {
		t.Fatalf("%d referrals", len(list))
	}
	r := list[0]
	if r.ChatID != chat || r.Destination != "osh" || r.Topic != "stay" || r.City != "Казань" || r.Phone != "+79123456789" ||
		r.Status != bot.StatusNew || r.Lang != "ru" || r.Description != "Работодатель <b>не платит</b> 2 месяца" || len(r.History) != 1 {
		t.Errorf("stored %+v", r)
	}
	if h.session().Draft != nil {
		t.Error("the draft stays after sending")
	}
	wantContains(t, h.command("myrequests", ""), "R-000001", "Центр трудоустройства в Оше", "новое")
}

func TestFormBackCancelAndRestart(t *testing.T) {
	h := referring(t, "Русский")
	h.press("Связаться с человеком")
	h.press("Центр трудоустройства в Бишкеке")
	wantContains(t, h.press("Назад"), "Какой офис")
	h.press("Представительство в России")
	h.press("Контакты и помощь")
	h.press("Согласен")
	h.typed("Нужна помощь с документами")
	h.restart() // the draft is in the session on disk
	h.bot.WithCoordinators(coordinators)
	wantContains(t, h.typed("Екатеринбург"), "Поделитесь номером")
	wantContains(t, h.press("Только через Telegram"), "только через Telegram", "Нужна помощь с документами", "Екатеринбург")
	wantContains(t, h.press("Назад"), "Поделитесь номером")
	wantContains(t, h.press("Отменить"), "Обращение не отправлено")
	if h.session().Draft != nil || len(h.referrals(bot.ReferralFilter{})) != 0 {
		t.Error("a cancelled form left something behind")
	}
	// A button of the cancelled form does nothing now.
	wantContains(t, text(h.send(bot.Event{Kind: bot.EventButton, Data: "1:send"})), "Эта кнопка устарела")
}

func TestNoConsentNoPersonalData(t *testing.T) {
	h := referring(t, "Кыргызча")
	h.press("Адам менен сүйлөшүү")
	h.press("Оштогу жумушка орноштуруу борбору")
	h.press("Орусияда жүрүү")
	got := h.press("Макул эмесмин")
	wantContains(t, got, "жеке маалыматыңыз сакталган жок", "Оштогу жумушка орноштуруу борбору кайда")
	if h.session().Draft != nil || len(h.referrals(bot.ReferralFilter{})) != 0 {
		t.Error("something was kept without consent")
	}
}

func TestFormChecksWhatIsTyped(t *testing.T) {
	h := referring(t, "Русский")
	h.press("Связаться с человеком")
	h.press("Центр трудоустройства в Бишкеке")
	h.press("Правила пребывания")
	h.press("Согласен")
	wantContains(t, h.typed(strings.Repeat("я", 1001)), "Слишком длинно: 1001 знаков")
	h.typed("Коротко")
	h.typed("Москва")
	wantContains(t, h.typed("позвоните мне"), "не похоже на номер")
	wantContains(t, h.typed("12345"), "не похоже на номер")
	got := text(h.send(bot.Event{Kind: bot.EventContact, Data: "79001112233"}))
	wantContains(t, got, "79001112233", "Отправить?")
}

func TestCoordinatorsFollowUp(t *testing.T) {
	h := referring(t, "Кыргызча")
	h.command("lang", "")
	h.press("Русский")
	fillForm(h, "osh")
	h.press("Отправить")
	h.command("lang", "")
	h.press("Кыргызча") // status messages come in the language the user speaks now
	h.db.SetReferralPost(context.Background(), 1, bot.Post{ChatID: coordChatOsh, MessageID: 555})

	press := func(user int64, data string) []bot.Reply {
		replies, err := h.bot.Handle(context.Background(), bot.Event{ChatID: coordChatOsh, UserID: user, Kind: bot.EventButton, Data: data})
		if err != nil {
			t.Fatal(err)
		}
		return replies
	}
	if replies := press(stranger, "1:rs:1:taken"); len(replies) != 0 {
		t.Errorf("a stranger's press answered: %+v", replies)
	}
	replies := press(coordinator, "1:rs:1:taken")
	if len(replies) != 2 || replies[0].Edit.MessageID != 555 || !strings.Contains(replies[0].Text, "принято в работу") ||
		!strings.Contains(replies[0].Buttons[0][0].Label, "✓ Взял") {
		t.Fatalf("post edit: %+v", replies)
	}
	if replies[1].ChatID != chat || !strings.Contains(replies[1].Text, "R-000001 кайрылууңузду кызматкер кабыл алды") {
		t.Errorf("user message: %+v", replies[1])
	}
	press(coordinator, "1:rs:1:closed")
	r, _, _ := h.db.Referral(context.Background(), 1)
	if r.Status != bot.StatusClosed || len(r.History) != 3 || r.History[1].By != coordinator || r.History[2].Status != bot.StatusClosed {
		t.Errorf("history %+v", r.History)
	}

	cmd := func(user int64, name, payload string) []bot.Reply {
		replies, err := h.bot.Handle(context.Background(), bot.Event{ChatID: user, UserID: user, Kind: bot.EventCommand, Text: name, Data: payload})
		if err != nil {
			t.Fatal(err)
		}
		return replies
	}
	for _, name := range []string{"referrals", "referral", "export", "stats"} {
		if got := text(cmd(stranger, name, "1")); !strings.Contains(got, "команды я не знаю") && !strings.Contains(got, "буйрукту билбейм") {
			t.Errorf("/%s from a stranger: %q", name, got)
		}
	}
	wantContains(t, text(cmd(coordinator, "referrals", "")), "Обращения: 0")
	wantContains(t, text(cmd(coordinator, "referrals", "closed osh")), "Обращения: 1", "R-000001")
	wantContains(t, text(cmd(coordinator, "referral", "R-000001")), "История", "новое", "принято в работу", "7001", "закрыто")
	export := cmd(coordinator, "export", "30")
	if len(export) != 1 || export[0].Document == nil {
		t.Fatalf("export: %+v", export)
	}
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(string(export[0].Document.Data), "\uFEFF"))).ReadAll()
	if err != nil || len(rows) != 2 || rows[1][0] != "R-000001" || rows[1][2] != "closed" || rows[1][7] != "Казань" {
		t.Errorf("export rows %q, %v", rows, err)
	}
	wantContains(t, text(cmd(coordinator, "stats", "7")), "Статистика", "destination:osh: 1", "status:closed: 1", "lang:")
}

func TestForgetErasesPersonalData(t *testing.T) {
	h := referring(t, "Русский")
	fillForm(h, "bishkek")
	h.press("Отправить")
	h.db.SetReferralPost(context.Background(), 1, bot.Post{ChatID: coordChatMain, MessageID: 9})
	wantContains(t, h.command("forget", ""), "будут удалены")
	wantContains(t, h.press("Нет, оставить"), "Ничего не удалено")
	h.command("forget", "")
	got := h.press("Да, удалить")
	wantContains(t, got, "Ваши данные удалены")
	edit := h.replyTo(coordChatMain)
	if edit == nil || edit.Edit.MessageID != 9 || strings.Contains(edit.Text, "Казань") || !strings.Contains(edit.Text, "удалены") {
		t.Errorf("post not edited: %+v", edit)
	}
	if _, found, _ := h.db.Session(context.Background(), chat); found {
		t.Error("the session is still there")
	}
	r, _, _ := h.db.Referral(context.Background(), 1)
	if !r.Erased || r.ChatID != 0 || r.Phone != "" || r.City != "" || r.Description != "" || r.Destination != "bishkek" {
		t.Errorf("referral after /forget: %+v", r)
	}
}

func TestDraftIsDroppedAfterADay(t *testing.T) {
	h := referring(t, "Русский")
	now := time.Now()
	h.bot.WithClock(func() time.Time { return now })
	h.press("Связаться с человеком")
	h.press("Центр трудоустройства в Бишкеке")
	now = now.Add(25 * time.Hour)
	wantContains(t, text(h.send(bot.Event{Kind: bot.EventButton, Data: "1:rt:stay"})), "Эта кнопка устарела")
	if h.session().Draft != nil {
		t.Error("a day-old draft is kept")
	}
}
