package match_test

import (
	"reflect"
	"testing"

	"migrantbot/internal/match"
)

func TestGroupPutsTheSameQuestionTogether(t *testing.T) {
	texts := []string{
		"регистрация ребенка как сделать", // 0
		"какая погода в москве",           // 1
		"как сделать регистрацию ребенку", // 2
		"Регистрация ребёнка!",            // 3
		"погода москва",                   // 4
		"баланы каттоого тургузуу",        // 5
	}
	want := [][]int{{0, 2, 3}, {1, 4}, {5}}
	if got := match.Group(texts); !reflect.DeepEqual(got, want) {
		t.Errorf("Group = %v, want %v", got, want)
	}
}
