// Starts telegram-test-api on 127.0.0.1 at the port given as the first argument.
const TelegramServer = require('telegram-test-api');

// The emulator crashes on an unhandled rejection (a bot call it dislikes); log it instead.
process.on('unhandledRejection', (err) => console.error('unhandled rejection:', err && err.message));

const server = new TelegramServer({ port: Number(process.argv[2]), host: '127.0.0.1', storeTimeout: 600 });
server.start().then(() => console.log('ready'));
process.on('SIGTERM', () => server.stop().then(() => process.exit(0)));
