package main

import (
	"bytes"
	"context"
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
