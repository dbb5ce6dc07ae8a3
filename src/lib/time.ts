/** Unix seconds, with 0 standing for "not yet" as EasyRouter's task records do. */
export const unixSeconds = (date: Date | null | undefined): number =>
  date ? Math.floor(date.getTime() / 1000) : 0;
