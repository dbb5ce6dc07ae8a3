// Users and keys, made through the operator API the way an operator makes them.
import { expect } from 'vitest';
import { ADMIN_TOKEN } from './context.ts';
import type { HttpClient } from './http.ts';

export interface Customer {
  userId: number;
  keyId: number;
  key: string;
}

export async function createUser(http: HttpClient, body: { name?: string; group?: string; quota?: number } = {}) {
  const res = await http('POST', '/admin/users', { token: ADMIN_TOKEN, body: { name: 'customer', ...body } });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as { id: number; quota: number; used_quota: number; group: string };
}

export async function createKey(http: HttpClient, userId: number, body: Record<string, unknown> = {}) {
  const res = await http('POST', '/admin/keys', { token: ADMIN_TOKEN, body: { user_id: userId, ...body } });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as { id: number; key: string };
}

/** A user with `quota` and one unrestricted key. */
export async function createCustomer(http: HttpClient, quota = 10_000_000, userBody: { group?: string } = {}): Promise<Customer> {
  const user = await createUser(http, { quota, ...userBody });
  const key = await createKey(http, user.id);
  return { userId: user.id, keyId: key.id, key: key.key };
}

/** The user's money, and nothing else (updated_at moves without it). */
export async function balanceOf(http: HttpClient, userId: number): Promise<{ quota: number; used_quota: number }> {
  const res = await http('GET', `/admin/users/${userId}`, { token: ADMIN_TOKEN });
  return { quota: res.body.quota, used_quota: res.body.used_quota };
}

/** The spec's own request examples (section 4). */
export const specExamples = {
  t2v: {
    model: 'wan2.7-t2v',
    prompt: 'A small cat running under moonlight, fur gently flowing in the wind, cinematic slow motion',
    resolution: '720P',
    duration: 5,
    metadata: { ratio: '16:9', seed: 42 },
  },
  i2v: {
    model: 'wan2.7-i2v',
    prompt: 'Realistic style, a small black cat curiously looks up at the sky, camera slowly zooms in',
    resolution: '720P',
    duration: 5,
    input_reference: 'https://wanx.alicdn.com/material/20250318/first_frame.png',
  },
  r2v: {
    model: 'wan2.7-r2v',
    prompt: '3D cartoon adventure movie style, chibi character with refined textures, [Image 1] character running joyfully',
    resolution: '720P',
    duration: 5,
    metadata: {
      ratio: '16:9',
      input: {
        media: [
          {
            type: 'reference_image',
            url: 'https://help-static-aliyun-doc.aliyuncs.com/file-manage-files/zh-CN/20260403/wgjaxy/banana_storyboard_00000020.png',
          },
        ],
      },
    },
  },
  videoedit: {
    model: 'wan2.7-videoedit',
    prompt: 'Replace the outfit of the girl in the video with the clothing shown in the reference image',
    resolution: '720P',
    images: [
      'https://help-static-aliyun-doc.aliyuncs.com/file-manage-files/zh-CN/20260403/nlspwm/T2VA_22.mp4',
      'https://help-static-aliyun-doc.aliyuncs.com/file-manage-files/zh-CN/20260402/fwjpqf/wan2.7-videoedit-change-clothes.png',
    ],
  },
} as const;
