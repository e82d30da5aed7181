// Starts the real PLC directory (in memory) and the real Bluesky PDS, both on 127.0.0.1.
// Usage: node start.js <install dir with node_modules> <plc port> <pds port> <data dir>
// Prints "READY <pds port>" once both answer, and shuts both down cleanly on SIGTERM/SIGINT.
'use strict'
const path = require('node:path')
const crypto = require('node:crypto')
const { createRequire } = require('node:module')
const { pathToFileURL } = require('node:url')

const [installDir, plcPort, pdsPort, dataDir] = process.argv.slice(2)
const req = createRequire(path.join(installDir, 'package.json'))

async function main() {
  const { PlcServer, Database } = req('@did-plc/server')
  const plc = await PlcServer.create({ db: Database.mock(), port: Number(plcPort) })
  const plcHttp = plc.app.listen(Number(plcPort), '127.0.0.1')
  await new Promise((resolve) => plcHttp.once('listening', resolve))

  Object.assign(process.env, {
    PDS_PORT: pdsPort,
    PDS_HOSTNAME: 'localhost',
    PDS_DATA_DIRECTORY: dataDir,
    PDS_BLOBSTORE_DISK_LOCATION: path.join(dataDir, 'blobs'),
    PDS_DID_PLC_URL: `http://127.0.0.1:${plcPort}`,
    PDS_JWT_SECRET: crypto.randomBytes(16).toString('hex'),
    PDS_ADMIN_PASSWORD: crypto.randomBytes(16).toString('hex'),
    PDS_PLC_ROTATION_KEY_K256_PRIVATE_KEY_HEX: crypto.randomBytes(32).toString('hex'),
    PDS_INVITE_REQUIRED: 'false',
    PDS_DEV_MODE: 'true', // allows the http:// public URL of a loopback server
    PDS_CRAWLERS: '',
    LOG_ENABLED: 'false',
  })
  const { PDS, readEnv, envToCfg, envToSecrets } = await import(pathToFileURL(req.resolve('@atproto/pds')).href)
  const env = readEnv()
  const pds = await PDS.create(envToCfg(env), envToSecrets(env))
  await pds.ctx.sequencer.start()
  // pds.start() would listen on every interface; tests stay on loopback.
  const pdsHttp = pds.app.listen(Number(pdsPort), '127.0.0.1')
  await new Promise((resolve) => pdsHttp.once('listening', resolve))
  console.log(`READY ${pdsPort}`)

  let stopping = false
  const stop = async () => {
    if (stopping) return
    stopping = true
    pdsHttp.close()
    plcHttp.close()
    try { await pds.ctx.destroy() } catch (e) { /* already closing */ }
    process.exit(0)
  }
  process.on('SIGTERM', stop)
  process.on('SIGINT', stop)
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
