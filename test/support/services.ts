/**
 * Per-file access to the services started by global-setup: a fresh database
 * and a fresh bucket for each test file, plus an S3 client for the test server.
 */
import { randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { inject } from 'vitest';
import pg from 'pg';
import { S3Client, CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';

export const pgAdminUrl = (): string => inject('pgAdminUrl');
export const s3Endpoint = (): string => inject('s3Endpoint');

/** Access key the test S3 server accepts; it checks no signatures. */
export const S3_TEST_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

/** Creates an empty database and returns its URL. */
export async function createDatabase(label: string): Promise<string> {
  const name = `t_${label.replace(/[^a-z0-9]/gi, '_').toLowerCase()}_${randomBytes(3).toString('hex')}`;
  const admin = new pg.Client({ connectionString: pgAdminUrl() });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  const url = new URL(pgAdminUrl());
  url.pathname = `/${name}`;
  return url.toString();
}

/** An S3 client for the test server (path-style, no CRC checksums). */
export function testS3Client(): S3Client {
  return new S3Client({
    endpoint: s3Endpoint(),
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: S3_TEST_CREDENTIALS,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

/** Creates a bucket with a unique name derived from `label`. */
export async function createBucket(s3: S3Client, label: string): Promise<string> {
  const bucket = `${label.replace(/[^a-z0-9-]/gi, '-').toLowerCase()}-${randomBytes(3).toString('hex')}`;
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  return bucket;
}

/** Uploads every file under `dir` to `s3://bucket/prefix/<relative path>`. */
export async function uploadDirectory(s3: S3Client, bucket: string, prefix: string, dir: string): Promise<number> {
  let count = 0;
  for (const file of await walk(dir)) {
    const key = [prefix.replace(/\/$/, ''), relative(dir, file).split(sep).join('/')].filter(Boolean).join('/');
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: await readFile(file) }));
    count++;
  }
  return count;
}

async function walk(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await walk(path)));
    else if (entry.isFile()) out.push(path);
  }
  return out.sort();
}

/** The real Udacity sample, read in place from ../shared (never copied). */
export const SAMPLE_DIR = new URL('../../../shared/data/udacity-sample/', import.meta.url).pathname;
