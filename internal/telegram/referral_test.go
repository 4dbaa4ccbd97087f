package telegram_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"migrantbot/internal/bolt"
	"migrantbot/internal/bot"
	"migrantbot/internal/telegram/telegramtest"
)

const (
	groupOsh  = -100200
	groupMain = -100100
	coordID   = 9001
)

func withCoordinators(b *bot.Bot) {
	b.WithCoordinators(bot.Coordinators{Users: map[int64]bool{coordID: true}, Chats: map[string]int64{"": groupMain, "osh": groupOsh}})
}

// lastButton is the data of the button labelled label in the last message to a chat.
func lastButton(t *testing.T, srv *telegramtest.Server, chat int64, label string) string {
	t.Helper()
	msgs := srv.Messages(chat)
	for i := len(msgs) - 1; i >= 0; i-- {
		for _, row := range msgs[i].Buttons {
			for _, b := range row {
				if strings.Contains(b.Text, label) {
					return b.Data
				}
			}
		}
	}
	t.Fatalf("no button %q for chat %d", label, chat)
	return ""
}

// step presses a button (or types) and waits for the replies it brings.
func step(t *testing.T, srv *telegramtest.Server, u telegramtest.User, replies int, act func()) []telegramtest.Sent {
	t.Helper()
	before := len(srv.Messages(u.ID))
	act()
	return messages(t, srv, u.ID, before+replies)[before:]
}

func TestTwoReferralsAtOnceThroughTelegram(t *testing.T) {
	srv := telegramtest.NewServer(t)
	cfg := testConfig(srv)
	cfg.GroupChats = []int64{groupMain, groupOsh}
	path := filepath.Join(t.TempDir(), "bot.db")
	r := start(t, srv, path, cfg, withCoordinators)

	ky := telegramtest.User{ID: 3001, Lang: "ky"}
	ru := telegramtest.User{ID: 3002, Lang: "ru"}
	coord := telegramtest.User{ID: coordID, Lang: "ru"}
	stranger := telegramtest.User{ID: 3999, Lang: "ru"}

	// Both users go through the form, step by step, at the same time.
	for _, u := range []telegramtest.User{ky, ru} {
		srv.SendText(u, "/start")
	}
	for _, u := range []telegramtest.User{ky, ru} {
		messages(t, srv, u.ID, 1)
		lang := map[int64]string{ky.ID: "Кыргызча", ru.ID: "Русский"}[u.ID]
		step(t, srv, u, 1, func() { srv.PressButton(u, lastButton(t, srv, u.ID, lang)) })
	}
	press := func(u telegramtest.User, label string, replies int) []telegramtest.Sent {
		return step(t, srv, u, replies, func() { srv.PressButton(u, lastButton(t, srv, u.ID, label)) })
	}
	typed := func(u telegramtest.User, text string, replies int) []telegramtest.Sent {
		return step(t, srv, u, replies, func() { srv.SendText(u, text) })
	}
	press(ky, "Адам менен", 1)
	press(ru, "Связаться с человеком", 1)
	press(ky, "Оштогу", 1)
	press(ru, "Бишкеке", 1)
	press(ky, "Орусиядагы өкүлчүлүк", 1)
	press(ru, "Правила пребывания", 1)
	if m := press(ky, "Макулмун", 1)[0]; !strings.Contains(m.Text, "кыскача жазыңыз") {
		t.Fatalf("after consent: %q", m.Text)
	}
	press(ru, "Согласен", 1)
	typed(ky, "Айлыгымды 3 ай бербей жатат, Айгуль", 1)
	typed(ru, "Не продлевают регистрацию, Бакыт", 1)
	typed(ky, "Новосибирск", 2)
	contact := typed(ru, "Москва", 2)
	if !strings.Contains(contact[0].Keyboard, `"request_contact":true`) {
		t.Errorf("no share-contact keyboard: %+v", contact[0])
	}
	srv.SendContact(ky, "+79991234567", false) // somebody else's number: not taken
	messages(t, srv, ky.ID, len(srv.Messages(ky.ID))+1)
	summary := step(t, srv, ky, 2, func() { srv.SendContact(ky, "+79991234567", true) })
	if !strings.Contains(summary[0].Text, "+79991234567") || !strings.Contains(summary[0].Keyboard, "remove_keyboard") {
		t.Errorf("summary: %+v", summary[0])
	}
	press(ru, "Только через Telegram", 2)
	sentKy := press(ky, "Жөнөтүү", 1)[0]
	sentRu := press(ru, "Отправить", 1)[0]
	if !strings.Contains(sentKy.Text, "R-00000") || !strings.Contains(sentRu.Text, "R-00000") || sentKy.Text[:60] == sentRu.Text[:60] {
		t.Errorf("numbers: %q / %q", sentKy.Text, sentRu.Text)
	}

	// The posts: Osh's to its own group, Bishkek's to the main one.
	oshPost := messages(t, srv, groupOsh, 1)[0]
	mainPost := messages(t, srv, groupMain, 1)[0]
	if !strings.Contains(oshPost.Text, "+79991234567") || !strings.Contains(mainPost.Text, "только через Telegram") {
		t.Errorf("posts: %q / %q", oshPost.Text, mainPost.Text)
	}
	data := lastButton(t, srv, groupOsh, "Взял")

	// A stranger's press and command do nothing.
	srv.PressGroupButton(stranger, groupOsh, oshPost.MessageID, data)
	srv.SendGroupCommand(stranger, groupOsh, "/referrals")
	srv.SendText(stranger, "/referrals")
	messages(t, srv, stranger.ID, 1) // only the private one is answered: as an unknown command
	if got := srv.Messages(stranger.ID)[0].Text; !strings.Contains(got, "команды я не знаю") {
		t.Errorf("stranger's /referrals: %q", got)
	}

	// The coordinator takes it: the post is edited, the user told in Kyrgyz.
	// (The bot records where the post went right after Telegram answers;
	// no person presses a button within that millisecond.)
	time.Sleep(100 * time.Millisecond)
	before := len(srv.Messages(ky.ID))
	srv.PressGroupButton(coord, groupOsh, oshPost.MessageID, data)
	told := messages(t, srv, ky.ID, before+1)[before]
	if !strings.Contains(told.Text, "кайрылууңузду кызматкер кабыл алды") {
		t.Errorf("user told: %q", told.Text)
	}
	// The edit goes out from the group's own sender, maybe after the user's message.
	var edit telegramtest.Sent
	wait(t, "the post edit", func() bool {
		for _, s := range srv.Sent(groupOsh) {
			if s.Method == "editMessageText" {
				edit = s
			}
		}
		return edit.Method != ""
	})
	if edit.MessageID != oshPost.MessageID || !strings.Contains(edit.Text, "принято в работу") {
		t.Errorf("post edit: %+v", edit)
	}
	if n := len(srv.Messages(groupOsh)); n != 1 {
		t.Errorf("%d messages in the Osh group: the stranger got an answer", n)
	}

	// /myrequests, the coordinator's /export, then /forget.
	if m := step(t, srv, ky, 1, func() { srv.SendText(ky, "/myrequests") })[0]; !strings.Contains(m.Text, "кабыл алынды") {
		t.Errorf("/myrequests: %q", m.Text)
	}
	srv.SendText(coord, "/export")
	wait(t, "the export document", func() bool {
		for _, s := range srv.Sent(coord.ID) {
			if s.Method == "sendDocument" && strings.Contains(string(s.Data), "Новосибирск") && strings.HasPrefix(string(s.Data), "\uFEFF") {
				return true
			}
		}
		return false
	})
	step(t, srv, ru, 1, func() { srv.SendText(ru, "/forget") })
	if m := press(ru, "Да, удалить", 1)[0]; !strings.Contains(m.Text, "Ваши данные удалены") {
		t.Errorf("/forget: %q", m.Text)
	}
	r.stop()

	db, err := bolt.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	list, _ := db.Referrals(context.Background(), bot.ReferralFilter{})
	if len(list) != 2 {
		t.Fatalf("%d referrals", len(list))
	}
	for _, ref := range list {
		if ref.Destination == "bishkek" && (!ref.Erased || ref.Description != "") {
			t.Errorf("forgotten referral %+v", ref)
		}
		if ref.Destination == "osh" && (ref.Post.MessageID != oshPost.MessageID || ref.Status != bot.StatusTaken) {
			t.Errorf("osh referral %+v", ref)
		}
	}
	logs := r.logs.String()
	for _, personal := range []string{"+79991234567", "79991234567", "Айгуль", "Бакыт", "бербей жатат", "Новосибирск"} {
		if strings.Contains(logs, personal) {
			t.Errorf("the log holds %q", personal)
		}
	}
}
