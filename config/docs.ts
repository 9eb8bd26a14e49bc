import {
  authSettings,
  commonSettings,
  feedsSettings,
  gatewaySettings,
  launcherSettings,
  registrySettings,
  tweetsSettings,
  usersSettings,
} from './settings.js';
import type { SettingGroup } from './settings.js';

/** The configuration reference as Markdown tables, one per component (`npm run config:docs`). */
export function settingsMarkdown(): string {
  const groups: ReadonlyArray<[string, SettingGroup]> = [
    ['Every component', commonSettings],
    ['Authorization server', without(authSettings, commonSettings)],
    ['Users service', without(usersSettings, { ...commonSettings, issuer: authSettings.issuer })],
    ['Tweets service', without(tweetsSettings, { ...commonSettings, issuer: authSettings.issuer })],
    ['Feeds service', without(feedsSettings, { ...commonSettings, issuer: authSettings.issuer })],
    ['Gateway', without(gatewaySettings, { ...commonSettings, issuer: authSettings.issuer })],
    ['Service registry', registrySettings],
    ['Launcher (`npm start`)', without(launcherSettings, commonSettings)],
  ];
  return groups.map(([title, group]) => `#### ${title}\n\n${table(group)}`).join('\n\n');
}

/** How a default is written in the docs; every default is a string, a number or unset. */
export function shownDefault(fallback: unknown): string {
  return typeof fallback === 'string' || typeof fallback === 'number'
    ? `\`${fallback}\``
    : '(unset)';
}

function table(group: SettingGroup): string {
  const rows = Object.values(group).map(
    (s) => `| \`${s.env}\` | ${shownDefault(s.fallback)} | ${s.description} |`,
  );
  return ['| variable | default | meaning |', '| --- | --- | --- |', ...rows].join('\n');
}

function without(group: SettingGroup, common: SettingGroup): SettingGroup {
  const shared = new Set(Object.values(common).map((s) => s.env));
  return Object.fromEntries(Object.entries(group).filter(([, s]) => !shared.has(s.env)));
}
