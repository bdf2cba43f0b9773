package parley

// MaxAccountID bounds an account id's length.
const MaxAccountID = 64

// AccountIDPattern is the one form of an account id, everywhere: a letter
// or digit, then letters, digits, '-' and '_', at most MaxAccountID in all
// (LivePerson's numeric site ids fit it).
const AccountIDPattern = `^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$`

// ValidateAccountID returns nil for an id of AccountIDPattern, else EINVALID
// on field. Store keys are built from account ids, so nothing else may
// reach them: not a separator, a NUL or a slash.
func ValidateAccountID(id, field string) error {
	if len(id) == 0 || len(id) > MaxAccountID || !accountIDChar(id[0], true) {
		return FieldErrorf(field, "%s %q is not an account id: 1 to %d letters, digits, '-' or '_', starting with a letter or digit", field, id, MaxAccountID)
	}
	for i := 1; i < len(id); i++ {
		if !accountIDChar(id[i], false) {
			return FieldErrorf(field, "%s %q is not an account id: 1 to %d letters, digits, '-' or '_', starting with a letter or digit", field, id, MaxAccountID)
		}
	}
	return nil
}

func accountIDChar(c byte, first bool) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	default:
		return !first && (c == '-' || c == '_')
	}
}
