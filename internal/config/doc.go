// Package config loads sspr's one YAML configuration file: strictly decoded (an unknown key is an
// error naming its path and line, with a suggestion), defaulted in one place (applyDefaults),
// validated with every problem reported at once (*Error), and with secrets read from files or
// *_FILE environment variables into Secret values that never print.
package config
