/** What the app knows about where it runs: versions, backend, transport, the doctor's report. */
import { defineStore } from 'pinia';
import { shallowRef } from 'vue';
import { toErrorData, type NosErrorData } from '@contract';
import { api } from '../api/client';
import type { AboutInfo, DoctorReport } from '../api/types';

export const useSystemStore = defineStore('system', () => {
  const about = shallowRef<AboutInfo | null>(null);
  const doctor = shallowRef<DoctorReport | null>(null);
  const error = shallowRef<NosErrorData | null>(null);
  const doctorError = shallowRef<NosErrorData | null>(null);
  const doctorRunning = shallowRef(false);

  async function loadAbout(): Promise<void> {
    try {
      about.value = await api().about();
      error.value = null;
    } catch (err) {
      error.value = toErrorData(err);
    }
  }

  async function runDoctor(): Promise<void> {
    doctorRunning.value = true;
    doctorError.value = null;
    try {
      doctor.value = await api().doctor();
    } catch (err) {
      doctorError.value = toErrorData(err);
    } finally {
      doctorRunning.value = false;
    }
  }

  return { about, doctor, error, doctorError, doctorRunning, loadAbout, runDoctor };
});
