/**
 * How every view and message quotes a name a person gave (a widget title, a checklist item): ‘Pumps’. One
 * function, so the Activity list, the Pending view, the conflict cards and the service worker's notices
 * all read alike.
 */
export const quote = (name: string): string => `‘${name}’`;
