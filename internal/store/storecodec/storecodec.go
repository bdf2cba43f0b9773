// Package storecodec is how the store adapters (embedded, dynamo) encode
// what they keep with secrets: a channel configuration's credentials are
// sealed whole, whatever the provider, bound to the account and channel.
package storecodec

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/parleyhq/parley/internal/parley"
)

// storedChannelConfig is parley.ChannelConfig as a store keeps it, never
// the API's encoding: the credentials sealed in Sealed as the JSON object
// {"<provider>": <block>}. Items written before credentials were sealed
// hold the block in clear under the provider's name, beside the other
// fields; it is absent from every item written since.
type storedChannelConfig struct {
	AccountID string                 `json:"accountId"`
	Channel   parley.Channel         `json:"channel"`
	Provider  parley.Provider        `json:"provider"`
	BaseURL   string                 `json:"baseUrl,omitempty"`
	Senders   []parley.ChannelSender `json:"senders,omitempty"`
	Sealed    []byte                 `json:"sealed,omitempty"`
	Version   int                    `json:"version"`
	UpdatedAt time.Time              `json:"updatedAt"`
}

// storedFields are the names storedChannelConfig uses, which no provider's
// block in clear can be.
var storedFields = map[string]bool{
	"accountId": true, "channel": true, "provider": true, "baseUrl": true, "senders": true,
	"sealed": true, "version": true, "updatedAt": true,
}

// EncodeChannelConfig encodes c for a store, its credentials sealed by s
// and bound to c's account and channel (a config without credentials, the
// sandbox's, seals nothing).
func EncodeChannelConfig(ctx context.Context, s parley.Sealer, c parley.ChannelConfig) ([]byte, error) {
	out := storedChannelConfig{
		AccountID: c.AccountID, Channel: c.Channel, Provider: c.Provider, BaseURL: c.BaseURL,
		Senders: c.Senders, Version: c.Version, UpdatedAt: c.UpdatedAt,
	}
	if !c.Credentials.IsZero() {
		plain, err := json.Marshal(map[parley.Provider]json.RawMessage{c.Credentials.Provider(): c.Credentials.Reveal()})
		if err != nil {
			return nil, fmt.Errorf("encode the credentials of channel %s of %s: %w", c.Channel, c.AccountID, err)
		}
		if out.Sealed, err = parley.Seal(ctx, s, plain, parley.ChannelAAD(c.AccountID, c.Channel)); err != nil {
			return nil, fmt.Errorf("seal the credentials of channel %s of %s: %w", c.Channel, c.AccountID, err)
		}
	}
	data, err := json.Marshal(out)
	if err != nil {
		return nil, fmt.Errorf("encode channel config %s of %s: %w", c.Channel, c.AccountID, err)
	}
	return data, nil
}

// DecodeChannelConfig decodes what EncodeChannelConfig encoded for the item
// a store keyed by accountID and channel (the key, not what the item says,
// binds the sealed credentials, and an item that names another account or
// channel is refused). inClear reports an item written before credentials
// were sealed, which decodes as it is and which the store should write
// again sealed.
func DecodeChannelConfig(ctx context.Context, s parley.Sealer, accountID string, channel parley.Channel, data []byte) (c parley.ChannelConfig, inClear bool, err error) {
	var in storedChannelConfig
	if err := json.Unmarshal(data, &in); err != nil {
		return parley.ChannelConfig{}, false, fmt.Errorf("decode channel config: %w", err)
	}
	if in.AccountID != accountID || in.Channel != channel {
		return parley.ChannelConfig{}, false, fmt.Errorf("decode channel config %s of %s: the item names channel %s of %s", channel, accountID, in.Channel, in.AccountID)
	}
	blocks, err := credentialBlocks(data, storedFields)
	if err != nil {
		return parley.ChannelConfig{}, false, fmt.Errorf("decode channel config %s of %s: %w", channel, accountID, err)
	}
	inClear = len(blocks) > 0
	if len(in.Sealed) > 0 {
		if inClear {
			return parley.ChannelConfig{}, false, fmt.Errorf("decode channel config %s of %s: credentials both sealed and in clear", channel, accountID)
		}
		plain, err := parley.Open(ctx, s, in.Sealed, parley.ChannelAAD(accountID, channel))
		if err != nil {
			return parley.ChannelConfig{}, false, fmt.Errorf("open the credentials of channel %s of %s: %w", channel, accountID, err)
		}
		if blocks, err = credentialBlocks(plain, nil); err != nil {
			return parley.ChannelConfig{}, false, fmt.Errorf("decode the credentials of channel %s of %s: %w", channel, accountID, err)
		}
	}
	c = parley.ChannelConfig{
		AccountID: in.AccountID, Channel: in.Channel, Provider: in.Provider, BaseURL: in.BaseURL,
		Senders: in.Senders, Version: in.Version, UpdatedAt: in.UpdatedAt,
	}
	switch len(blocks) {
	case 0:
	case 1:
		for p, b := range blocks {
			c.Credentials = parley.NewCredentials(p, b)
		}
	default:
		return parley.ChannelConfig{}, false, fmt.Errorf("decode the credentials of channel %s of %s: %d credential blocks", channel, accountID, len(blocks))
	}
	return c, inClear, nil
}

// credentialBlocks returns the credential blocks of a JSON object: its
// members other than skip, null ones left out.
func credentialBlocks(data []byte, skip map[string]bool) (map[parley.Provider]json.RawMessage, error) {
	var members map[string]json.RawMessage
	if err := json.Unmarshal(data, &members); err != nil {
		return nil, err
	}
	blocks := map[parley.Provider]json.RawMessage{}
	for k, v := range members {
		if skip[k] || string(v) == "null" {
			continue
		}
		blocks[parley.Provider(k)] = v
	}
	return blocks, nil
}
