package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// runCmd runs the command line as main would, with a private database.
func runCmd(t *testing.T, env map[string]string, stdin string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	if _, ok := env["MIGRANTBOT_DB"]; !ok {
		env["MIGRANTBOT_DB"] = filepath.Join(t.TempDir(), "bot.db")
	}
	var out, errOut bytes.Buffer
	err := run(context.Background(), args, func(k string) string { return env[k] }, strings.NewReader(stdin), &out, &errOut)
	code = exitCode(err, &errOut)
	return out.String(), errOut.String(), code
}

func TestScriptedChatChoosesKyrgyzAndKeepsItAfterARestart(t *testing.T) {
	env := map[string]string{"MIGRANTBOT_DB": filepath.Join(t.TempDir(), "bot.db")}
	out, errOut, code := runCmd(t, env, "/start\n1\n", "chat")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, w := range []string{"Тилди тандаңыз", "[1] Кыргызча", "Орусияда жүрүү эрежелери"} {
		if !strings.Contains(out, w) {
			t.Errorf("first run lacks %q:\n%s", w, out)
		}
	}

	out, _, _ = runCmd(t, env, "/start\nпатент керекпи\n", "chat")
	if strings.Contains(out, "Тилди тандаңыз") || !strings.Contains(out, "Кыргызстандын жаранына патент керекпи?") {
		t.Errorf("after a restart the language is not kept:\n%s", out)
	}
}

func TestScriptedChatInRussian(t *testing.T) {
	out, _, code := runCmd(t, map[string]string{}, "/start\n2\nнужна ли регистрация\n", "chat")
	if code != 0 || !strings.Contains(out, "Нужно ли вставать на миграционный учёт?") {
		t.Errorf("exit %d:\n%s", code, out)
	}
}

func TestExitCodes(t *testing.T) {
	cases := []struct {
		args   []string
		code   int
		stderr string
	}{
		{nil, 2, "no command given"},
		{[]string{"fly"}, 2, `unknown command "fly"`},
		{[]string{"chat", "-nope"}, 2, "flag provided but not defined"},
		{[]string{"chat", "extra"}, 2, "chat takes no arguments"},
		{[]string{"chat", "-h"}, 0, ""},
		{[]string{"help"}, 0, ""},
		{[]string{"faq"}, 2, "faq needs a subcommand"},
		{[]string{"faq", "check"}, 0, ""},
		{[]string{"faq", "check", "-faq", "/nonexistent"}, 1, "error"},
	}
	for _, c := range cases {
		_, errOut, code := runCmd(t, map[string]string{}, "", c.args...)
		if code != c.code || !strings.Contains(errOut, c.stderr) {
			t.Errorf("%v: exit %d, stderr %q; want %d, %q", c.args, code, errOut, c.code, c.stderr)
		}
		if code != 0 && strings.Count(strings.TrimSpace(lastLine(errOut)), "\n") > 0 {
			t.Errorf("%v: error is not one line: %q", c.args, errOut)
		}
	}
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

func TestEverySubcommandHasHelp(t *testing.T) {
	for _, name := range commandOrder {
		out, _, code := runCmd(t, map[string]string{}, "", name, "-h")
		if code != 0 || !strings.Contains(out, "Usage: migrantbot "+name) {
			t.Errorf("%s -h: exit %d, %q", name, code, out)
		}
	}
}

func TestSecondProcessOnTheSameDatabaseFailsClearly(t *testing.T) {
	env := map[string]string{"MIGRANTBOT_DB": filepath.Join(t.TempDir(), "bot.db")}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		// The first chat holds the database until its input ends.
		run(context.Background(), []string{"chat"}, func(k string) string { return env[k] }, r, &bytes.Buffer{}, &bytes.Buffer{})
		close(done)
	}()
	w.WriteString("/start\n")
	var errOut string
	var code int
	for i := 0; i < 50; i++ { // wait until the first one has opened the file
		_, errOut, code = runCmd(t, env, "", "chat")
		if code != 0 {
			break
		}
	}
	w.Close()
	<-done
	if code != 1 || !strings.Contains(errOut, "in use by another migrantbot process") {
		t.Errorf("second process: exit %d, %q", code, errOut)
	}
}

func TestFAQCheckOnAStaffDirectory(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "stay"), 0o755)
	os.WriteFile(filepath.Join(dir, "topics.yaml"), []byte("- id: stay\n  ky: Жүрүү\n  ru: Пребывание\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "stay", "a.yaml"), []byte("id: stay.a\nreviewed: 2026-11-01\n"), 0o644)
	out, errOut, code := runCmd(t, map[string]string{"MIGRANTBOT_FAQ_DIR": dir}, "", "faq", "check")
	if code != 1 {
		t.Errorf("exit %d", code)
	}
	for _, w := range []string{dir + "/stay/a.yaml:1: no sources", dir + `/stay/a.yaml:1: language "ky" is missing`} {
		if !strings.Contains(out, w) {
			t.Errorf("output lacks %q:\n%s", w, out)
		}
	}
	if !strings.Contains(errOut, "error(s)") {
		t.Errorf("stderr %q", errOut)
	}
}

func TestAskPrintsJSONLines(t *testing.T) {
	out, _, code := runCmd(t, map[string]string{}, "патент керекпи\nкакая погода завтра\n", "ask")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || len(lines) != 2 {
		t.Fatalf("exit %d: %s", code, out)
	}
	if !strings.Contains(lines[0], `"lang":"ky","band":"answer","id":"stay.patent"`) {
		t.Errorf("line 1: %s", lines[0])
	}
	if !strings.Contains(lines[1], `"band":"none","id":""`) {
		t.Errorf("line 2: %s", lines[1])
	}
}

func TestFAQExportCSVOpensInExcel(t *testing.T) {
	out, errOut, code := runCmd(t, map[string]string{}, "", "faq", "export", "-format", "csv")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.HasPrefix(out, "\uFEFFid,topic,lang,question,alternates,answer,reviewed,sources\r\n") {
		t.Fatalf("no byte-order mark and header: %q", out[:min(80, len(out))])
	}
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(out, "\uFEFF"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	entries, _ := loadShipped(t)
	if len(rows) != 1+2*entries {
		t.Errorf("%d rows, want a header and %d", len(rows), 2*entries)
	}
	for _, r := range rows[1:] {
		if r[2] != "ky" && r[2] != "ru" || r[3] == "" || r[5] == "" || r[6] == "" || r[7] == "" {
			t.Errorf("incomplete row %q", r)
		}
	}
}

func TestFAQExportJSONOneLanguage(t *testing.T) {
	out, _, code := runCmd(t, map[string]string{}, "", "faq", "export", "-format", "json", "-lang", "ky")
	var records []struct {
		ID, Lang, Question, Answer string
		Alternates                 []string
	}
	if err := json.Unmarshal([]byte(out), &records); code != 0 || err != nil {
		t.Fatalf("exit %d, %v", code, err)
	}
	entries, _ := loadShipped(t)
	if len(records) != entries {
		t.Errorf("%d records, want %d", len(records), entries)
	}
	for _, r := range records {
		if r.Lang != "ky" || r.Question == "" || r.Answer == "" || len(r.Alternates) == 0 {
			t.Errorf("record %+v", r)
		}
	}
	_, errOut, code := runCmd(t, map[string]string{}, "", "faq", "export", "-format", "xls")
	if code != 2 || !strings.Contains(errOut, "want csv or json") {
		t.Errorf("bad format: exit %d %q", code, errOut)
	}
}

func loadShipped(t *testing.T) (entries, topics int) {
	out, _, code := runCmd(t, map[string]string{}, "", "faq", "check")
	if code != 0 {
		t.Fatalf("faq check: %s", out)
	}
	if _, err := fmt.Sscanf(lastLine(out), "faq: %d entries in %d topics", &entries, &topics); err != nil {
		t.Fatalf("summary %q: %v", lastLine(out), err)
	}
	return entries, topics
}

func TestFAQUnansweredGroupsTheLog(t *testing.T) {
	env := map[string]string{"MIGRANTBOT_DB": filepath.Join(t.TempDir(), "bot.db")}
	runCmd(t, env, "/start\n2\nкакая погода завтра\nпогода завтра?\nработа\n1\n", "chat")
	out, errOut, code := runCmd(t, env, "", "faq", "unanswered")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, w := range []string{"3 questions in 2 groups", "2× ru 2; none 2\n    какая погода завтра\n    погода завтра?", "1× ru 1; suggest 1; picked office.jobs 1"} {
		if !strings.Contains(out, w) {
			t.Errorf("output lacks %q:\n%s", w, out)
		}
	}
	out, _, _ = runCmd(t, env, "", "faq", "unanswered", "-since", "2999-01-01")
	if !strings.HasPrefix(out, "0 questions in 0 groups") {
		t.Errorf("-since in the future: %q", out)
	}
	if _, errOut, code := runCmd(t, env, "", "faq", "unanswered", "-since", "yesterday"); code != 2 || !strings.Contains(errOut, "want a date") {
		t.Errorf("bad date: exit %d %q", code, errOut)
	}
}
