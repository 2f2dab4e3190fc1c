package deps
import (
 _ "github.com/go-ldap/ldap/v3"
 _ "modernc.org/sqlite"
 _ "github.com/jackc/pgx/v5"
 _ "github.com/nyaruka/phonenumbers"
 _ "golang.org/x/crypto/argon2"
 _ "golang.org/x/text/unicode/norm"
 _ "github.com/spf13/cobra"
 _ "github.com/prometheus/client_golang/prometheus"
 _ "github.com/chromedp/chromedp"
 _ "github.com/emersion/go-smtp"
 _ "github.com/trustelem/zxcvbn"
 _ "github.com/schollz/progressbar/v3"
 _ "go.yaml.in/yaml/v3"
 _ "github.com/google/uuid"
)
