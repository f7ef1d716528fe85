// Which repair changed which pixel, for the --restore-debug preview: the preview lends a plane of
// marks on each previewed frame record, and each local repair writes its kind's code where it
// filled. Frames outside the preview carry no plane and the repairs write nothing.

/** The local repairs a preview tells apart (flicker and grain touch every pixel a little). */
export type RepairKind = 'dust' | 'blotch' | 'scratch' | 'hairline';

/** The code each kind writes in the marks plane; 0 is a pixel no local repair touched. */
export const REPAIR_CODE: Readonly<Record<RepairKind, number>> = { dust: 1, blotch: 2, scratch: 3, hairline: 4 };

/** The colour (sRGB) each kind is shown in, in the preview's change panel. */
export const REPAIR_COLOUR: Readonly<Record<RepairKind, readonly [number, number, number]>> = {
  dust: [255, 60, 60],
  blotch: [255, 170, 0],
  scratch: [70, 140, 255],
  hairline: [60, 220, 90],
};

export const REPAIR_MARKS: unique symbol = Symbol('chroma.repairMarks');

export type WithMarks = { [REPAIR_MARKS]?: Uint8Array };

/** The marks plane lent on this frame record (width * height, zeroed), or undefined outside the preview. */
export function marksOf(f: object): Uint8Array | undefined {
  return (f as WithMarks)[REPAIR_MARKS];
}

/** Lends `plane` on the record (null takes it back). */
export function lendMarks(f: object, plane: Uint8Array | null): void {
  if (plane) (f as WithMarks)[REPAIR_MARKS] = plane;
  else delete (f as WithMarks)[REPAIR_MARKS];
}
