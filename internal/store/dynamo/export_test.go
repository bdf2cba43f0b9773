package dynamo

// ChunkSize is how many recipients intake writes to one item.
const ChunkSize = chunkSize
