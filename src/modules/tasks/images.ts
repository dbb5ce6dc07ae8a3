// What an image a client sends is, by its bytes: clients label uploads unreliably, and a data: URI
// may say image/png over anything. DashScope takes PNG, JPEG, WEBP and BMP.

export interface ImageFile {
  bytes: Buffer;
  contentType: string;
  /** File extension for its storage key. */
  extension: string;
}

const IMAGE_SIGNATURES: { contentType: string; extension: string; test: (b: Buffer) => boolean }[] = [
  { contentType: 'image/png', extension: 'png', test: (b) => b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) },
  { contentType: 'image/jpeg', extension: 'jpg', test: (b) => b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff },
  { contentType: 'image/webp', extension: 'webp', test: (b) => b.subarray(0, 4).toString('latin1') === 'RIFF' && b.subarray(8, 12).toString('latin1') === 'WEBP' },
  { contentType: 'image/bmp', extension: 'bmp', test: (b) => b.subarray(0, 2).toString('latin1') === 'BM' },
];

/** The image `bytes` hold, or null when they are none of the accepted kinds. */
export function imageFile(bytes: Buffer): ImageFile | null {
  const kind = IMAGE_SIGNATURES.find((s) => s.test(bytes));
  return kind ? { bytes, contentType: kind.contentType, extension: kind.extension } : null;
}

/** The image inside a base64 `data:` URI (whose syntax has been checked), or null when it holds none. */
export function dataUriImage(uri: string): ImageFile | null {
  return imageFile(Buffer.from(uri.slice(uri.indexOf(',') + 1), 'base64'));
}
