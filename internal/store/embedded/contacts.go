package embedded

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/parleyhq/parley/internal/directory"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

var _ store.Contacts = (*Store)(nil)

// bucketContacts holds, per account (created with the first write):
//
//	account \x00 C \x00 id    → the contact
//	account \x00 P \x00 phone → the id of the contact that has the number
//	account \x00 F \x00 id    → a saved filter
var bucketContacts = []byte("contacts")

func contactKey(accountID, kind, rest string) []byte {
	return []byte(accountID + "\x00" + kind + "\x00" + rest)
}

// PutContact implements store.Contacts.
func (s *Store) PutContact(ctx context.Context, c directory.Contact) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bucketContacts)
		if err != nil {
			return err
		}
		key := contactKey(c.AccountID, "C", c.ID)
		var old directory.Contact
		if data := b.Get(key); data != nil {
			if err := json.Unmarshal(data, &old); err != nil {
				return fmt.Errorf("decode contact %s: %w", c.ID, err)
			}
		}
		if old.Version != c.Version-1 {
			return parley.Errorf(parley.ECONFLICT, "contact %s is at version %d, not %d", c.ID, old.Version, c.Version-1)
		}
		if c.Phone != "" {
			phone := contactKey(c.AccountID, "P", c.Phone)
			if holder := b.Get(phone); holder != nil && string(holder) != c.ID {
				return parley.Errorf(parley.ECONFLICT, "contact %s already has the number %s", holder, c.Phone)
			}
			if err := b.Put(phone, []byte(c.ID)); err != nil {
				return err
			}
		}
		if old.Phone != "" && old.Phone != c.Phone {
			if err := b.Delete(contactKey(c.AccountID, "P", old.Phone)); err != nil {
				return err
			}
		}
		return put(b, key, c)
	})
}

// Contact implements store.Contacts.
func (s *Store) Contact(ctx context.Context, accountID, id string) (directory.Contact, error) {
	var c directory.Contact
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketContacts)
		if b == nil {
			return parley.Errorf(parley.ENOTFOUND, "contact %s not found", id)
		}
		return get(b, contactKey(accountID, "C", id), &c, "contact "+id)
	})
	return c, err
}

// ContactByPhone implements store.Contacts.
func (s *Store) ContactByPhone(ctx context.Context, accountID, phone string) (directory.Contact, error) {
	var c directory.Contact
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketContacts)
		var id []byte
		if b != nil {
			id = b.Get(contactKey(accountID, "P", phone))
		}
		if id == nil {
			return parley.Errorf(parley.ENOTFOUND, "no contact has the number %s", phone)
		}
		return get(b, contactKey(accountID, "C", string(id)), &c, "contact "+string(id))
	})
	return c, err
}

// DeleteContact implements store.Contacts.
func (s *Store) DeleteContact(ctx context.Context, accountID, id string) (bool, error) {
	removed := false
	err := s.db.Update(func(tx *bolt.Tx) error {
		removed = false
		b := tx.Bucket(bucketContacts)
		if b == nil {
			return nil
		}
		var c directory.Contact
		if err := get(b, contactKey(accountID, "C", id), &c, "contact "+id); parley.ErrorCode(err) == parley.ENOTFOUND {
			return nil
		} else if err != nil {
			return err
		}
		removed = true
		if c.Phone != "" {
			if err := b.Delete(contactKey(accountID, "P", c.Phone)); err != nil {
				return err
			}
		}
		return b.Delete(contactKey(accountID, "C", id))
	})
	return removed, err
}

// Contacts implements store.Contacts.
func (s *Store) Contacts(ctx context.Context, accountID, afterID string, limit int) ([]directory.Contact, error) {
	limit = min(max(limit, 1), store.MaxPage)
	prefix := contactKey(accountID, "C", "")
	out := []directory.Contact{}
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketContacts)
		if b == nil {
			return nil
		}
		cur := b.Cursor()
		k, v := seekAfter(cur, prefix, afterID)
		for ; k != nil && bytes.HasPrefix(k, prefix) && len(out) < limit; k, v = cur.Next() {
			var c directory.Contact
			if err := json.Unmarshal(v, &c); err != nil {
				return fmt.Errorf("decode contact %q: %w", k, err)
			}
			out = append(out, c)
		}
		return nil
	})
	return out, err
}

// PutFilter implements store.Contacts.
func (s *Store) PutFilter(ctx context.Context, f directory.Filter) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bucketContacts)
		if err != nil {
			return err
		}
		return put(b, contactKey(f.AccountID, "F", f.ID), f)
	})
}

// Filter implements store.Contacts.
func (s *Store) Filter(ctx context.Context, accountID, id string) (directory.Filter, error) {
	var f directory.Filter
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketContacts)
		if b == nil {
			return parley.Errorf(parley.ENOTFOUND, "filter %s not found", id)
		}
		return get(b, contactKey(accountID, "F", id), &f, "filter "+id)
	})
	return f, err
}

// Filters implements store.Contacts.
func (s *Store) Filters(ctx context.Context, accountID string) ([]directory.Filter, error) {
	return listJSON[directory.Filter](s, bucketContacts, contactKey(accountID, "F", ""), "filter")
}

// DeleteFilter implements store.Contacts.
func (s *Store) DeleteFilter(ctx context.Context, accountID, id string) (bool, error) {
	removed := false
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketContacts)
		key := contactKey(accountID, "F", id)
		removed = b != nil && b.Get(key) != nil
		if !removed {
			return nil
		}
		return b.Delete(key)
	})
	return removed, err
}
