// Runs s3rver in its own process. s3rver 3.7 builds ListObjectsV2 continuation
// tokens with DES, which OpenSSL 3 only offers through the legacy provider, so the
// parent starts this file with `node --openssl-legacy-provider`.
import S3rver from 's3rver';

const [directory, portArg] = process.argv.slice(2);
const server = new S3rver({
  address: '127.0.0.1',
  port: Number(portArg ?? 0),
  directory,
  silent: true,
});
const { port } = await server.run();
process.send?.({ port });
process.on('message', async (msg) => {
  if (msg === 'close') {
    await server.close();
    process.exit(0);
  }
});
process.on('disconnect', () => process.exit(0));
