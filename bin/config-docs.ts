import { settingsMarkdown } from '../config/docs.js';

process.stdout.write(`${settingsMarkdown()}\n`);
