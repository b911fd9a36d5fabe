package verify

import (
	"testing"

	"github.com/leakgate/leakgate/leak"
)

func TestDBConnStringFromContext(t *testing.T) {
	t.Parallel()
	pw := "Xq7" + "vR2mLp9"
	for _, tc := range []struct{ line, want string }{
		{`DATABASE_URL=postgres://app:` + pw + `@db.example.com:5432/prod?sslmode=require`, `postgres://app:` + pw + `@db.example.com:5432/prod?sslmode=require`},
		{`  url: "postgresql+psycopg2://app:` + pw + `@10.0.0.5/db",`, `postgresql+psycopg2://app:` + pw + `@10.0.0.5/db`},
		{`db, _ := sql.Open("mysql", "app:` + pw + `@tcp(localhost:3306)/shop?parseTime=true")`, `app:` + pw + `@tcp(localhost:3306)/shop?parseTime=true`},
		{`DSN=app:` + pw + `@tcp(localhost:3306)`, `app:` + pw + `@tcp(localhost:3306)`},
		{`(mysql://root:` + pw + `@h/db).`, `mysql://root:` + pw + `@h/db`},
		{`password is ` + pw + ` and mysql://u:other@h/`, ``},
	} {
		got, ok := dbConnString(Credential{Rule: "postgres-connection-uri", Secret: leak.NewSecret(pw), Context: leak.NewSecret(tc.line)})
		if got != tc.want || ok != (tc.want != "") {
			t.Errorf("dbConnString(%q) = %q, %v; want %q", tc.line, got, ok, tc.want)
		}
	}
}
