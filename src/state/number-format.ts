/** One format for every number the board shows: at most two decimals, no trailing zeros (42.5, 45, 3.2). */
const NUMBER = new Intl.NumberFormat(undefined, { maximumFractionDigits: 2 });

export const formatValue = (v: number): string => NUMBER.format(v);
