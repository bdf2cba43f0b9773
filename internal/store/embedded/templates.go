package embedded

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/parleyhq/parley/internal/parley"
)

// bucketTemplates holds account \x00 id → template; bucketTemplateNames
// account \x00 name#language → the id that holds the name; and
// bucketTemplateUses account \x00 template \x00 campaign → "" for each
// campaign that sends a template. The last two are created with the first
// template or use.
var (
	bucketTemplateNames = []byte("template-names")
	bucketTemplateUses  = []byte("template-uses")
)

func templateNameKey(t parley.WhatsAppTemplate) []byte {
	return []byte(t.AccountID + "\x00" + t.NameKey())
}

func templateUsePrefix(accountID, templateID string) []byte {
	return []byte(accountID + "\x00" + templateID + "\x00")
}

// PutTemplate implements store.Templates.
func (s *Store) PutTemplate(ctx context.Context, t parley.WhatsAppTemplate) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketTemplates)
		names, err := tx.CreateBucketIfNotExists(bucketTemplateNames)
		if err != nil {
			return err
		}
		var old parley.WhatsAppTemplate
		if data := b.Get(campaignKey(t.AccountID, t.ID)); data != nil {
			if err := json.Unmarshal(data, &old); err != nil {
				return fmt.Errorf("decode template %s: %w", t.ID, err)
			}
		}
		if old.Version != t.Version-1 {
			return parley.Errorf(parley.ECONFLICT, "template %s is at version %d, not %d", t.ID, old.Version, t.Version-1)
		}
		name := templateNameKey(t)
		if holder := names.Get(name); holder != nil && string(holder) != t.ID {
			return parley.Errorf(parley.ECONFLICT, "template %s already has the name %q in %s", holder, t.Name, t.Language)
		}
		if old.Version > 0 && old.NameKey() != t.NameKey() {
			if err := names.Delete(templateNameKey(old)); err != nil {
				return err
			}
		}
		if err := names.Put(name, []byte(t.ID)); err != nil {
			return err
		}
		return put(b, campaignKey(t.AccountID, t.ID), t)
	})
}

// Template implements store.Templates.
func (s *Store) Template(ctx context.Context, accountID, id string) (parley.WhatsAppTemplate, error) {
	var t parley.WhatsAppTemplate
	err := s.db.View(func(tx *bolt.Tx) error {
		return get(tx.Bucket(bucketTemplates), campaignKey(accountID, id), &t, "template "+id)
	})
	return t, err
}

// Templates implements store.Templates.
func (s *Store) Templates(ctx context.Context, accountID string) ([]parley.WhatsAppTemplate, error) {
	return listJSON[parley.WhatsAppTemplate](s, bucketTemplates, []byte(accountID+"\x00"), "template")
}

// DeleteTemplate implements store.Templates.
func (s *Store) DeleteTemplate(ctx context.Context, accountID, id string) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketTemplates)
		var t parley.WhatsAppTemplate
		if err := get(b, campaignKey(accountID, id), &t, "template "+id); err != nil {
			return err
		}
		if err := b.Delete(campaignKey(accountID, id)); err != nil {
			return err
		}
		if names := tx.Bucket(bucketTemplateNames); names != nil {
			if holder := names.Get(templateNameKey(t)); string(holder) == id {
				if err := names.Delete(templateNameKey(t)); err != nil {
					return err
				}
			}
		}
		uses := tx.Bucket(bucketTemplateUses)
		if uses == nil {
			return nil
		}
		prefix := templateUsePrefix(accountID, id)
		var keys [][]byte
		c := uses.Cursor()
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			keys = append(keys, bytes.Clone(k))
		}
		for _, k := range keys {
			if err := uses.Delete(k); err != nil {
				return err
			}
		}
		return nil
	})
}

// UseTemplate implements store.Templates.
func (s *Store) UseTemplate(ctx context.Context, accountID, templateID, campaignID string) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		uses, err := tx.CreateBucketIfNotExists(bucketTemplateUses)
		if err != nil {
			return err
		}
		return uses.Put(append(templateUsePrefix(accountID, templateID), campaignID...), []byte{})
	})
}

// TemplateCampaigns implements store.Templates.
func (s *Store) TemplateCampaigns(ctx context.Context, accountID, templateID string) ([]string, error) {
	out := []string{}
	err := s.db.View(func(tx *bolt.Tx) error {
		uses := tx.Bucket(bucketTemplateUses)
		if uses == nil {
			return nil
		}
		prefix := templateUsePrefix(accountID, templateID)
		c := uses.Cursor()
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			out = append(out, string(k[len(prefix):]))
		}
		return nil
	})
	return out, err
}
