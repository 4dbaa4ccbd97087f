package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"text/tabwriter"

	"migrantbot/internal/bolt"
	"migrantbot/internal/bot"
)

func runReferrals(ctx context.Context, env *environment, args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprintln(env.stdout, `Usage: migrantbot referrals <list|export> [flags]

  list    the referrals, one a line: number, date, status, destination, topic, city, phone
  export  every field of the referrals as CSV (opens in Excel) or JSON

Both work while the bot runs: they then ask the running bot for the data.`)
		if len(args) == 0 {
			return usageError{"referrals needs a subcommand: list or export"}
		}
		return nil
	}
	var cfg config
	fset := newFlags(env, "referrals "+args[0], "[flags]", "List or export the referrals, also while the bot runs.", &cfg, "db")
	status := fset.String("status", "", "only this status: new, taken, contacted or closed")
	since := fset.String("since", "", "only referrals created on or after this date (2026-11-01)")
	dest := fset.String("destination", "", "only this destination: bishkek, osh or office")
	format := fset.String("format", "csv", "export: csv or json")
	if err := parseFlags(env, fset, args[1:]); err != nil {
		return err
	}
	if *status != "" && !slices.Contains(bot.Statuses, *status) {
		return usageError{fmt.Sprintf("-status %q: want new, taken, contacted or closed", *status)}
	}
	q := url.Values{}
	for k, v := range map[string]string{"status": *status, "since": *since, "destination": *dest} {
		if v != "" {
			q.Set(k, v)
		}
	}
	src, done, err := openReferrals(cfg.db)
	if err != nil {
		return err
	}
	defer done()
	list, err := src.Referrals(ctx, q)
	if err != nil {
		return err
	}
	switch args[0] {
	case "list":
		w := tabwriter.NewWriter(env.stdout, 0, 4, 2, ' ', 0)
		for _, r := range list {
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Number(), r.Created.Format("2006-01-02 15:04"), r.Status, r.Destination, r.Topic, r.City, r.Phone)
		}
		w.Flush()
		fmt.Fprintf(env.stderr, "%d referrals\n", len(list))
		return nil
	case "export":
		switch *format {
		case "csv":
			return bot.WriteReferralsCSV(env.stdout, list)
		case "json":
			enc := json.NewEncoder(env.stdout)
			enc.SetIndent("", "  ")
			return enc.Encode(list)
		}
		return usageError{fmt.Sprintf("-format %q: want csv or json", *format)}
	}
	return usageError{fmt.Sprintf("unknown referrals subcommand %q", args[0])}
}

func runBackup(ctx context.Context, env *environment, args []string) error {
	var cfg config
	fset := newFlags(env, "backup", "[flags] FILE", "Write a consistent copy of the database to FILE, also while the bot runs.", &cfg, "db")
	if err := parseFlags(env, fset, args); err != nil {
		return err
	}
	if fset.NArg() != 1 {
		return usageError{"backup needs one FILE to write"}
	}
	target := fset.Arg(0)
	src, done, err := openReferrals(cfg.db)
	if err != nil {
		return err
	}
	defer done()
	tmp, err := os.CreateTemp(filepath.Dir(target), ".backup-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := src.Backup(tmp); err != nil {
		tmp.Close()
		return fmt.Errorf("backup: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	// Check the copy before it takes the file's name.
	check, err := bolt.Open(tmp.Name())
	if err != nil {
		return fmt.Errorf("backup: the copy does not open: %w", err)
	}
	check.Close()
	if err := os.Rename(tmp.Name(), target); err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "backup written to %s\n", target)
	return nil
}
